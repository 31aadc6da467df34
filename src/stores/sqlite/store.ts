// The SQLite Store: synchronous driver calls behind the async contract, each write one IMMEDIATE transaction.
import { HallpassError } from '../../errors.ts'
import { isForbiddenKey } from '../../json.ts'
import type {
  CreateOptions,
  PatchResult,
  RevokeOptions,
  SessionPatch,
  SessionRecord,
  Store,
  StoreStats,
} from '../types.ts'
import { tombstoneFor } from '../tombstone.ts'
import { decodeRow, encodeJson, encodeRow, isExpired } from './codec.ts'
import { encodeDevice } from '../device-codec.ts'
import type { Statements } from './schema.ts'
import { LazyInterval } from '../lazy-interval.ts'
import type { SqliteDatabase } from './databases.ts'
import type { SqlRunner } from './driver.ts'
import { failClosedSync } from '../../fail-closed.ts'

/** @internal Built by `sqliteStore()`. */
export class SqliteSessionStore<Db = SqliteDatabase> implements Store {
  readonly kind = 'sqlite'
  /** The purge timer, started by the first `get` or `create` (never at construction: Workers refuse that). */
  private readonly purger: LazyInterval | undefined
  private closed = false

  constructor(
    private readonly driver: SqlRunner<Db>,
    private readonly sql: Statements,
    private readonly clock: () => number,
    private readonly ownsDatabase: boolean,
    purgeInterval: number,
  ) {
    if (purgeInterval > 0) {
      this.purger = new LazyInterval(() => {
        try {
          this.purgeNow()
        } catch {
          // Busy or closed: the next tick tries again, and reads never return expired rows anyway.
        }
      }, purgeInterval)
    }
  }

  /** The connection in use (yours, or the one the store opened). */
  get database(): Db {
    return this.driver.database
  }

  /** One indexed read; STORE_UNAVAILABLE when the database cannot answer. */
  async ping(): Promise<void> {
    failClosed(() => this.sql.select.get(''))
  }

  async get(id: string): Promise<SessionRecord | null | 'corrupt'> {
    if (typeof id !== 'string') return null
    this.purger?.start()
    return failClosed(() => {
      const row = this.sql.select.get(id)
      if (!row || isExpired(row.drop_at, this.clock())) return null
      const record = decodeRow(row)
      if (record) return record
      this.sql.remove.run(id)
      return 'corrupt'
    })
  }

  async create(record: SessionRecord, options: CreateOptions): Promise<{ evicted: string[] }> {
    checkTtl(options.ttl)
    this.purger?.start()
    return failClosed(() => this.driver.immediate(() => this.createNow(record, options)))
  }

  async patch(id: string, patch: SessionPatch): Promise<PatchResult> {
    if (typeof id !== 'string') return 'missing'
    checkTtl(patch.ttl)
    return failClosed(() => this.driver.immediate(() => this.patchNow(id, patch)))
  }

  async destroy(id: string): Promise<boolean> {
    if (typeof id !== 'string') return false
    return failClosed(() => {
      const row = this.sql.remove.get(id)
      return row !== undefined && !isExpired(row.drop_at, this.clock())
    })
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    if (typeof userId !== 'string') return []
    return failClosed(() => {
      const records: SessionRecord[] = []
      for (const row of this.sql.listByUser.all(userId, this.clock())) {
        const record = decodeRow(row)
        if (record) records.push(record)
        else if (typeof row.id === 'string') this.sql.remove.run(row.id)
      }
      return records
    })
  }

  async revoke(userId: string, options: RevokeOptions = {}): Promise<string[]> {
    if (typeof userId !== 'string') return []
    return failClosed(() => this.driver.immediate(() => this.revokeNow(userId, options)))
  }

  /** Deletes every expired row now and returns how many (the timer does this every `purgeInterval`). */
  async purge(): Promise<number> {
    return failClosed(() => this.purgeNow())
  }

  /** Counts of live sessions, in two indexed queries. */
  async stats(withinMs: number): Promise<StoreStats> {
    return failClosed(() => {
      const now = this.clock()
      const row = this.sql.stats.get(now + withinMs, now) as {
        sessions: number
        users: number
        anonymous: number | null
        expiring: number | null
      }
      return {
        sessions: row.sessions,
        users: row.users,
        anonymous: row.anonymous ?? 0,
        maxPerUser: this.sql.maxPerUser.get(now)?.n ?? 0,
        expiring: row.expiring ?? 0,
      }
    })
  }

  /** Stops the purge timer, and closes the database if the store opened it (never one you passed in). */
  async close(): Promise<void> {
    this.purger?.stop()
    if (this.ownsDatabase && !this.closed) this.driver.close()
    this.closed = true
  }

  private purgeNow(): number {
    return this.sql.purge.run(this.clock())
  }

  /** Inside a transaction: drop `replaces`, write the record, then enforce the user's cap on the others. */
  private createNow(record: SessionRecord, options: CreateOptions): { evicted: string[] } {
    const now = this.clock()
    if (options.replaces !== undefined && options.replaces !== record.id) {
      this.sql.remove.run(options.replaces)
      if (options.tombstone !== undefined)
        this.sql.insert.run(
          ...encodeRow(
            tombstoneFor(options.replaces, record.lastSeenAt, options.tombstone),
            now + options.tombstone,
          ),
        )
    }
    this.sql.insert.run(...encodeRow(record, now + options.ttl))
    if (record.userId === null || options.maxPerUser === undefined) return { evicted: [] }
    // The session being created is never its own victim: the user just signed in with it.
    const others = this.sql.othersByUse.all(record.userId, now, record.id)
    const excess = others.length + 1 - options.maxPerUser
    const evicted = excess > 0 ? others.slice(0, excess).map((row) => row.id) : []
    for (const id of evicted) this.sql.remove.run(id)
    return { evicted }
  }

  /** Inside a transaction: read, check the version, merge only the changed keys, bump the version. */
  private patchNow(id: string, patch: SessionPatch): PatchResult {
    const row = this.sql.select.get(id)
    if (!row) return 'missing'
    const now = this.clock()
    const record = isExpired(row.drop_at, now) ? undefined : decodeRow(row)
    if (!record) {
      this.sql.remove.run(id) // expired or undecodable: gone, and never recreated
      return 'missing'
    }
    if (record.version === 0) return 'missing' // a tombstone: never written to
    if (patch.expectVersion !== undefined && record.version !== patch.expectVersion)
      return 'conflict'
    const setKeys = Object.keys(patch.set)
    let json = row.data as string
    if (setKeys.length > 0 || patch.unset.length > 0) {
      const data = record.data
      for (const key of patch.unset) delete data[key]
      for (const key of setKeys) {
        if (isForbiddenKey(key))
          throw new HallpassError(
            'SESSION_DATA_INVALID',
            `"${key}" cannot be used as a session key`,
          )
        data[key] = patch.set[key]
      }
      json = encodeJson(data)
    }
    const device =
      patch.device === undefined
        ? ((row.device as string | null) ?? null)
        : patch.device && encodeDevice(patch.device)
    this.sql.update.run(
      json,
      record.version + 1,
      device,
      patch.lastSeenAt ?? record.lastSeenAt,
      now + patch.ttl,
      id,
    )
    return 'ok'
  }

  /** Inside a transaction: delete the user's sessions (only ids they own) and return the live ones deleted. */
  private revokeNow(userId: string, options: RevokeOptions): string[] {
    const now = this.clock()
    if (options.ids === undefined) {
      const rows = this.sql.revokeAll.all(userId, options.except ?? null)
      return rows.filter((row) => !isExpired(row.drop_at, now)).map((row) => String(row.id))
    }
    const revoked: string[] = []
    for (const id of new Set(options.ids)) {
      if (typeof id !== 'string' || id === options.except) continue
      const row = this.sql.revokeOne.get(id, userId)
      if (row && !isExpired(row.drop_at, now)) revoked.push(id)
    }
    return revoked
  }
}

/** Runs a database call; anything SQLite throws (busy, I/O, closed connection) becomes STORE_UNAVAILABLE. */
function failClosed<T>(call: () => T): T {
  return failClosedSync(call, 'the SQLite session store')
}

function checkTtl(ttl: unknown): void {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl))
    throw new HallpassError('INVALID_ARGUMENT', 'ttl must be a finite number of milliseconds')
}
