// The Durable Object that holds sessions: the SQLite store over `ctx.storage.sql`, answering one call per request.
import { SqliteSessionStore } from '../sqlite/store.ts'
import { prepareSchema } from '../sqlite/schema.ts'
import type { Store } from '../types.ts'
import {
  decodeArguments,
  errorEnvelope,
  operationOf,
  type Envelope,
  type Operation,
} from './protocol.ts'
import { durableSqlRunner } from './sql-runner.ts'
import type { DurableState, DurableStorage } from './types.ts'

/** The table inside each object. */
const TABLE = 'hallpass_sessions'
/** Expired rows are deleted by an alarm this long after the first write the object sees (reads skip them anyway). */
export const PURGE_INTERVAL_MS = 3_600_000

/**
 * The Durable Object class behind `durableObjectStore()`. Re-export it from your Worker's main module and bind
 * it with a `new_sqlite_classes` migration (docs/runtimes/workers.md). One object holds the sessions of one
 * routing tag: every session of a user, their index and their cap live in one single-threaded object, and each
 * call runs as one synchronous SQLite transaction, so compare-and-swap, tombstones, the per-user cap and
 * revocation are atomic, and a revoked session is gone for every location at once.
 *
 * @example
 * ```ts
 * // worker.ts
 * export { HallpassSessions } from 'hallpass/stores/durable-object'
 * ```
 */
export class HallpassSessions {
  private readonly store: SqliteSessionStore<DurableStorage>
  private purgeArmed = false

  constructor(
    private readonly ctx: DurableState,
    _env?: unknown,
  ) {
    const db = durableSqlRunner(ctx.storage)
    this.store = new SqliteSessionStore(db, prepareSchema(db, TABLE), () => this.now(), false, 0)
  }

  /** Epoch milliseconds for TTLs; a subclass may move it (the tests do). */
  protected now(): number {
    return Date.now()
  }

  /** Answers one store call: `POST /<operation>` with the JSON arguments; replies with a JSON envelope. */
  async fetch(request: Request): Promise<Response> {
    const op = request.method === 'POST' ? operationOf(request.url) : undefined
    const args = op === undefined ? undefined : decodeArguments(await request.text())
    if (op === undefined || args === undefined) return new Response(null, { status: 400 })
    let envelope: Envelope
    try {
      envelope = { value: (await this.call(op, args)) ?? null }
    } catch (err) {
      envelope = errorEnvelope(err)
    }
    if (op === 'create') await this.armPurge()
    return Response.json(envelope)
  }

  /** Deletes expired rows, and comes back later while any session is left. */
  async alarm(): Promise<void> {
    await this.store.purge()
    const left = await this.store.stats(0)
    if (left.sessions > 0) await this.ctx.storage.setAlarm(this.now() + PURGE_INTERVAL_MS)
  }

  private call(op: Operation, args: unknown[]): Promise<unknown> {
    const store: Store = this.store
    const [a, b] = args as [never, never]
    switch (op) {
      case 'get':
        return store.get(a)
      case 'create':
        return store.create(a, b)
      case 'patch':
        return store.patch(a, b)
      case 'destroy':
        return store.destroy(a)
      case 'listByUser':
        return store.listByUser(a)
      case 'revoke':
        return store.revoke(a, b ?? undefined)
      case 'ping':
        return this.store.ping()
    }
  }

  /** Sets the purge alarm once per object, unless one is set already. */
  private async armPurge(): Promise<void> {
    if (this.purgeArmed) return
    this.purgeArmed = true
    if ((await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(this.now() + PURGE_INTERVAL_MS)
  }
}
