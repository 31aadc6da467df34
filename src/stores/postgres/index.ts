// hallpass/stores/postgres: sessions in PostgreSQL through pg, postgres.js or PGlite, one statement per request.
import { checkOptionKeys, configError } from '../../errors.ts'
import { MAX_TIMER_MS } from '../milliseconds.ts'
import type { Store, StoreStats } from '../types.ts'
import type { PostgresClientLike } from './clients.ts'
import { PostgresDriver } from './driver.ts'
import { checkIdentifier, DEFAULT_SCHEMA, DEFAULT_TABLE } from './schema.ts'
import { PostgresSessionStore } from './store.ts'

export type {
  PGliteLike,
  PgClientLike,
  PgPoolLike,
  PostgresClientLike,
  PostgresJsLike,
} from './clients.ts'
export {
  migratePostgres,
  postgresSchemaSql,
  POSTGRES_SCHEMA_VERSION,
  type MigrateOptions,
} from './schema.ts'

/** Options for `postgresStore`. */
export interface PostgresStoreOptions {
  /**
   * The client your app already has: a pg `Pool` (recommended) or `Client`, a postgres.js `sql`, or a PGlite
   * database. The app owns it: the store never connects or closes it. A single pg `Client` cannot reconnect after
   * the connection drops; a Pool and postgres.js do.
   */
  client: PostgresClientLike
  /** Schema holding the table (a lowercase identifier). @default 'public' */
  schema?: string
  /** Table holding the sessions (a lowercase identifier). @default 'hallpass_sessions' */
  table?: string
  /**
   * Milliseconds a statement (or a capped login's transaction) may take, waiting for a pooled connection included,
   * before it fails with STORE_UNAVAILABLE. @default 2000
   */
  statementTimeoutMs?: number
  /**
   * Run the store's statements as named prepared statements, so each connection parses and plans them once (pg and
   * postgres.js; a postgres.js instance made with `prepare: false` keeps them unnamed all the same). Turn it off behind
   * a transaction-mode pooler that cannot keep prepared statements (PgBouncer before 1.21). @default true
   */
  preparedStatements?: boolean
  /** Times a statement is run again after a serialization failure or a deadlock before SESSION_CONFLICT. @default 5 */
  conflictRetries?: number
  /**
   * Milliseconds between purges of expired rows on an unref'd timer; 0 turns it off (schedule `purge()` yourself).
   * @default 60_000
   */
  purgeIntervalMs?: number
  /** Rows each purge statement deletes at most. @default 1000 */
  purgeBatch?: number
  /** Clock in epoch ms for TTLs (inject one in tests). @default the database's clock, shared by every process */
  clock?: () => number
}

/** The Postgres store: the `Store` contract plus `purge()` and `close()`. */
export interface PostgresStore extends Store {
  readonly kind: 'postgres'
  /** Deletes expired rows now, in batches, and returns how many. */
  purge(): Promise<number>
  /** Counts of live sessions (`hallpass sessions stats`), in one statement. */
  stats(withinMs: number): Promise<StoreStats>
  /** One `SELECT 1` (health checks); STORE_UNAVAILABLE when the database does not answer in time. */
  ping(): Promise<void>
  /** Stops the purge timer; the client stays open. */
  close(): Promise<void>
}

const KNOWN_OPTIONS = [
  'client',
  'schema',
  'table',
  'statementTimeoutMs',
  'conflictRetries',
  'purgeIntervalMs',
  'purgeBatch',
  'clock',
  'preparedStatements',
]

function wholeNumber(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  const n = value ?? fallback
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    configError(
      `postgresStore ${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
    )
  return n
}

/**
 * A Store on PostgreSQL. A load is one indexed `SELECT`; a commit is one `UPDATE` that merges only the changed keys
 * into the `jsonb` data, compare-and-swaps the version when asked, never moves the expiry or last-seen time back,
 * and never recreates a deleted session. The table is created by `migratePostgres()` (or
 * `hallpass migrate --postgres URL`); the store checks its version on first use and refuses another with
 * CONFIG_INVALID. Database trouble is STORE_UNAVAILABLE; see docs/postgres.md.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createSessions } from 'hallpass'
 * import { postgresStore } from 'hallpass/stores/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * const sessions = createSessions({ secret: process.env.SESSION_SECRET!, store: postgresStore({ client: pool }) })
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  if (typeof options !== 'object' || options === null)
    configError('postgresStore needs an options object: postgresStore({ client })')
  checkOptionKeys('postgresStore', options, KNOWN_OPTIONS)
  const schema = checkIdentifier('schema', options.schema ?? DEFAULT_SCHEMA)
  const table = checkIdentifier('table', options.table ?? DEFAULT_TABLE)
  const timeout = wholeNumber('statementTimeoutMs', options.statementTimeoutMs, 2000, 1, 600_000)
  const purgeIntervalMs = wholeNumber(
    'purgeIntervalMs',
    options.purgeIntervalMs,
    60_000,
    0,
    MAX_TIMER_MS,
  )
  const conflictRetries = wholeNumber('conflictRetries', options.conflictRetries, 5, 0, 20)
  const purgeBatch = wholeNumber('purgeBatch', options.purgeBatch, 1000, 1, 100_000)
  const clock = options.clock
  if (clock !== undefined && typeof clock !== 'function')
    configError('postgresStore clock must be a function returning epoch milliseconds')
  const prepared = options.preparedStatements ?? true
  if (typeof prepared !== 'boolean')
    configError(
      'postgresStore preparedStatements must be true or false (false behind PgBouncer < 1.21)',
    )
  const driver = new PostgresDriver(options.client, timeout, prepared)
  return new PostgresSessionStore(driver, {
    names: { schema, table },
    clock,
    conflictRetries,
    purgeBatch,
    purgeIntervalMs,
  }) as PostgresStore
}
