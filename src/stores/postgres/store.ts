// The Postgres Store: one statement per operation (a transaction for a capped login), retried on serialization failure.
import { isSessionId } from '../../crypto/token.ts'
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
import {
  decodeRow,
  deviceParam,
  integerParam,
  patchDataVersionParam,
  recordParams,
  storableJson,
  storableText,
  ttlParam,
} from './codec.ts'
import { sqlState, type PostgresDriver, type Row } from './driver.ts'
import { checkSchema, lockKey } from './schema.ts'
import { statements, type Statements, type TableName } from './sql.ts'

/** Serialization failure and deadlock: the statement did nothing and may simply run again. */
const RETRYABLE = new Set(['40001', '40P01'])
/** A compare-and-swap write that failed on a concurrent change: the round is lost, as at another version. */
const LOST_ROUND = Symbol('lost round')

/** What `postgresStore()` resolved from its options. */
export interface StoreSettings {
  readonly names: TableName
  readonly clock: (() => number) | undefined
  readonly conflictRetries: number
  readonly purgeBatch: number
  readonly purgeIntervalMs: number
}

/** Tables whose schema version was found right, per client: every store on the client skips the check after one did. */
const checkedTables = new WeakMap<object, Set<string>>()

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** @internal The Store contract on Postgres. Build it with `postgresStore()`. */
export class PostgresSessionStore implements Store {
  readonly kind = 'postgres'
  readonly keepsDataVersion = true
  private readonly sql: Statements
  private readonly timer: ReturnType<typeof setInterval> | undefined
  /** `schema.table`, the key of this table in `checkedTables`. */
  private readonly tableKey: string

  constructor(
    private readonly driver: PostgresDriver,
    private readonly settings: StoreSettings,
  ) {
    this.sql = statements(settings.names)
    this.tableKey = `${settings.names.schema}.${settings.names.table}`
    if (settings.purgeIntervalMs > 0) {
      this.timer = setInterval(
        () => void this.purge().catch(() => undefined),
        settings.purgeIntervalMs,
      )
      this.timer.unref()
    }
  }

  /** One `SELECT 1`; STORE_UNAVAILABLE when the database does not answer in time. */
  async ping(): Promise<void> {
    await this.attempt(() => this.driver.run('SELECT 1', []))
  }

  async get(id: string): Promise<SessionRecord | null | 'corrupt'> {
    if (!isSessionId(id)) return null
    const rows = await this.attempt(() => this.driver.run(this.sql.select, [id, this.now()]))
    const row = rows[0]
    if (row === undefined) return null
    const record = decodeRow(row)
    if (record?.id === id) return record
    await this.attempt(() => this.driver.run(this.sql.remove, [id]))
    return 'corrupt'
  }

  async create(record: SessionRecord, options: CreateOptions): Promise<{ evicted: string[] }> {
    if (!isSessionId(record.id))
      throw new HallpassError('INVALID_ARGUMENT', 'postgresStore: malformed session id')
    const old =
      options.replaces !== undefined &&
      options.replaces !== record.id &&
      isSessionId(options.replaces)
        ? options.replaces
        : null
    const stone =
      old !== null && options.tombstone !== undefined ? ttlParam(options.tombstone) : null
    const max =
      options.maxPerUser === undefined || record.userId === null
        ? null
        : integerParam(options.maxPerUser, 'maxPerUser')
    const params = [
      ...recordParams(record),
      ttlParam(options.ttl),
      this.now(),
      old,
      stone,
      integerParam(record.lastSeenAt, 'lastSeenAt'),
      max,
    ]
    const evicted = (rows: Row[]): string[] =>
      rows.map((row) => text(row[0])).filter((id) => id !== undefined)
    if (max === null)
      return {
        evicted: evicted(await this.attempt(() => this.driver.run(this.sql.create, params))),
      }
    // The cap counts the user's sessions: logins of one user take turns, so each counts the ones before it.
    const key = lockKey(this.settings.names, `user:${record.userId}`)
    const rows = await this.attempt(() =>
      this.driver.transaction(async (run) => {
        await run(this.sql.lockUser, [key])
        return run(this.sql.create, params)
      }),
    )
    return { evicted: evicted(rows) }
  }

  async patch(id: string, patch: SessionPatch): Promise<PatchResult> {
    if (!isSessionId(id)) return 'missing'
    const set: Record<string, unknown> = {}
    const unset = [...patch.unset]
    for (const [key, value] of Object.entries(patch.set)) {
      if (isForbiddenKey(key))
        throw new HallpassError('SESSION_DATA_INVALID', `"${key}" cannot be used as a session key`)
      if (value === undefined)
        unset.push(key) // JSON has no undefined: the key goes, as on every other store
      else set[key] = value
    }
    const params = [
      id,
      storableJson(set),
      storableJson(unset, 'the removed keys'),
      patch.lastSeenAt === undefined ? null : integerParam(patch.lastSeenAt, 'lastSeenAt'),
      ttlParam(patch.ttl),
      patch.expectVersion === undefined ? null : integerParam(patch.expectVersion, 'expectVersion'),
      patch.device === undefined ? null : '1',
      deviceParam(patch.device),
      this.now(),
      patchDataVersionParam(patch.dataVersion),
    ]
    // A compare-and-swap that met a concurrent change (40001 at SERIALIZABLE) lost the round: update() reads again.
    const cas = patch.expectVersion === undefined ? undefined : LOST_ROUND
    const rows = await this.attempt(() => this.driver.run(this.sql.patch, params), cas)
    if (rows === LOST_ROUND) return 'conflict'
    const [row] = rows
    if (row?.[2] === 'true') return 'conflict' // live, and left as it is for its data version
    if (row?.[0] === '1') return 'ok'
    const seen = row?.[1]
    // A live row at another version is a conflict; no row, or a tombstone, is missing (never recreated).
    return patch.expectVersion !== undefined && typeof seen === 'string' && seen !== '0'
      ? 'conflict'
      : 'missing'
  }

  async destroy(id: string): Promise<boolean> {
    if (!isSessionId(id)) return false
    const rows = await this.attempt(() => this.driver.run(this.sql.destroy, [id, this.now()]))
    return rows[0]?.[0] === 'true'
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    if (typeof userId !== 'string' || userId.length === 0) return []
    const rows = await this.attempt(() =>
      this.driver.run(this.sql.listByUser, [storableText(userId, 'user id'), this.now()]),
    )
    const records: SessionRecord[] = []
    for (const row of rows) {
      const record = decodeRow(row)
      if (record?.userId === userId) records.push(record)
      else if (typeof row[0] === 'string')
        await this.attempt(() => this.driver.run(this.sql.remove, [row[0] as string]))
    }
    return records
  }

  async revoke(userId: string, options: RevokeOptions = {}): Promise<string[]> {
    if (typeof userId !== 'string' || userId.length === 0) return []
    const ids = options.ids === undefined ? null : options.ids.filter(isSessionId)
    if (ids !== null && ids.length === 0) return []
    const except = typeof options.except === 'string' ? options.except : null
    const params = [
      storableText(userId, 'user id'),
      except,
      ids === null ? null : JSON.stringify(ids),
      this.now(),
    ]
    const rows = await this.attempt(() => this.driver.run(this.sql.revoke, params))
    return rows.filter((row) => row[1] === 'true').map((row) => String(row[0]))
  }

  /**
   * Deletes expired rows in batches of `purgeBatch` (each its own short statement, skipping rows another statement
   * holds) until a batch comes back short; returns how many. The store also runs it every `purgeIntervalMs`.
   */
  async purge(): Promise<number> {
    let total = 0
    for (;;) {
      const [row] = await this.attempt(() =>
        this.driver.run(this.sql.purge, [String(this.settings.purgeBatch), this.now()]),
      )
      const deleted = Number(row?.[0] ?? 0)
      total += deleted
      if (deleted < this.settings.purgeBatch) return total
    }
  }

  /** Counts of live sessions (tombstones are not sessions), in one statement. */
  async stats(withinMs: number): Promise<StoreStats> {
    const within = integerParam(Math.max(0, Math.ceil(withinMs)), 'withinMs')
    const [row] = await this.attempt(() => this.driver.run(this.sql.stats, [within, this.now()]))
    const [sessions, users, anonymous, expiring, maxPerUser] = (row ?? []).map(Number)
    return {
      sessions: sessions ?? 0,
      users: users ?? 0,
      anonymous: anonymous ?? 0,
      maxPerUser: maxPerUser ?? 0,
      expiring: expiring ?? 0,
    }
  }

  /** Stops the purge timer and the store's error listener; the client stays open (it is yours). */
  async close(): Promise<void> {
    clearInterval(this.timer)
    this.driver.release()
  }

  private now(): string | null {
    const clock = this.settings.clock
    return clock === undefined ? null : integerParam(Math.floor(clock()), 'clock()')
  }

  /**
   * Checks the schema version on first use, then runs `call`: again after a serialization failure or a deadlock (up
   * to `conflictRetries` times, then SESSION_CONFLICT), or answers `lost` at once when given (a compare-and-swap
   * whose caller retries); anything else the database throws is STORE_UNAVAILABLE.
   */
  private async attempt<T, L = never>(call: () => Promise<T>, lost?: L): Promise<T | L> {
    for (let retry = 0; ; retry++) {
      try {
        const checked = checkedTables.get(this.driver.client) ?? new Set<string>()
        if (!checked.has(this.tableKey)) {
          await checkSchema(this.driver, this.settings.names)
          checkedTables.set(this.driver.client, checked.add(this.tableKey))
        }
        return await call()
      } catch (err) {
        if (err instanceof HallpassError) throw err
        const state = sqlState(err)
        // The table was dropped or lost a column since the check: check again on the next call, which says the fix.
        if (state === '42P01' || state === '42703')
          checkedTables.get(this.driver.client)?.delete(this.tableKey)
        if (state === undefined || !RETRYABLE.has(state)) throw unavailable(err, state)
        if (lost !== undefined) return lost
        if (retry >= this.settings.conflictRetries) {
          throw new HallpassError(
            'SESSION_CONFLICT',
            `the Postgres session store gave up after ${retry + 1} attempts that met concurrent writes (${state})`,
            { cause: err },
          )
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** retry))
      }
    }
  }
}

/** STORE_UNAVAILABLE for anything the client or the database threw; a refused value (class 22) is the data's fault. */
function unavailable(err: unknown, state: string | undefined): HallpassError {
  const reason = err instanceof Error ? err.message : String(err)
  if (state?.startsWith('22'))
    return new HallpassError(
      'SESSION_DATA_INVALID',
      `Postgres refused a value of the session (${state}): ${reason}`,
      {
        cause: err,
      },
    )
  return new HallpassError(
    'STORE_UNAVAILABLE',
    `the Postgres session store is unavailable: ${reason}`,
    { cause: err },
  )
}
