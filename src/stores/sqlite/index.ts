// `sqliteStore()`: checks options, opens or adopts a database on any of the three drivers, turns on WAL, builds the store.
import { checkOptionKeys, configError, HallpassError } from '../../errors.ts'
import { MAX_TIMER_MS, millisecondsOption } from '../milliseconds.ts'
import type { Store } from '../types.ts'
import type { SqliteDatabase } from './databases.ts'
import type { SqliteDriver } from './driver.ts'
import { adoptDatabase, openDatabase } from './open.ts'
import { checkTableName, DEFAULT_TABLE, prepareSchema, type Statements } from './schema.ts'
import { isBusyError, isReadonlyError } from './sqlite-errors.ts'
import { SqliteSessionStore } from './store.ts'

export type { SqliteDatabase } from './databases.ts'

export interface SqliteStoreOptions<DB extends SqliteDatabase = SqliteDatabase> {
  /**
   * The database your app already uses: a better-sqlite3 `Database`, a bun:sqlite `Database` or a node:sqlite
   * `DatabaseSync` (sessions then live beside your own tables, and the store never closes it). Or a filename
   * to open (`':memory:'` for a throwaway database) with the runtime's driver: bun:sqlite on Bun, node:sqlite
   * on Deno, and on Node better-sqlite3 when installed, else node:sqlite (Node ≥ 22.5).
   * A file database is switched to WAL mode if it is not in it already.
   */
  database: DB | string
  /** Table holding the sessions (a plain identifier; created with its indexes if missing). @default 'hallpass_sessions' */
  table?: string
  /**
   * Milliseconds between deletions of expired rows, on an unref'd timer started by the first `get` or `create`
   * (never at construction); 0 turns the timer off. @default 60_000
   */
  purgeIntervalMs?: number
  /** Clock in epoch ms, used for TTLs (inject one in tests). @default Date.now */
  clock?: () => number
}

/** The SQLite store: the `Store` contract plus `purge()` and `close()`. */
export interface SqliteStore<DB extends SqliteDatabase = SqliteDatabase> extends Store {
  readonly kind: 'sqlite'
  /** The connection in use: yours, or the one the store opened. */
  readonly database: DB
  /** Deletes every expired row now and returns how many. */
  purge(): Promise<number>
  /** Stops the purge timer; closes the database only if the store opened it. */
  close(): Promise<void>
}

const KNOWN_OPTIONS = new Set(['database', 'table', 'purgeIntervalMs', 'clock'])

/**
 * An embedded, persistent session store on SQLite (better-sqlite3, bun:sqlite or node:sqlite): sessions survive
 * restarts, and one file can hold both your app's tables and its sessions. Every write that touches a session and
 * its user's index runs in one `BEGIN IMMEDIATE` transaction. SQLite failures (SQLITE_BUSY, I/O errors, a closed connection) surface as
 * `HallpassError` `STORE_UNAVAILABLE`; bad options throw `CONFIG_INVALID` at once. A database another connection
 * holds locked while the store is built is set up at its first use instead (STORE_UNAVAILABLE until the lock goes).
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { createSessions } from 'hallpass'
 * import { sqliteStore } from 'hallpass/stores/sqlite'
 *
 * const db = new Database('./data/app.db')          // your users table lives here too
 * const sessions = createSessions({ secret, store: sqliteStore({ database: db }) })
 * // Bun: import { Database } from 'bun:sqlite'; Node ≥ 22.5 or Deno: import { DatabaseSync } from 'node:sqlite'
 * ```
 */
export function sqliteStore<DB extends SqliteDatabase = SqliteDatabase>(
  options: SqliteStoreOptions<DB>,
): SqliteStore<DB> {
  if (typeof options !== 'object' || options === null)
    configError('sqliteStore needs an options object with at least { database }')
  checkOptionKeys('sqliteStore', options, KNOWN_OPTIONS)
  const table = checkTableName(options.table ?? DEFAULT_TABLE)
  const purgeInterval = millisecondsOption(
    'sqliteStore',
    options,
    'purgeIntervalMs',
    60_000,
    0,
    MAX_TIMER_MS,
  )
  const clock = options.clock ?? Date.now
  if (typeof clock !== 'function')
    configError('sqliteStore clock must be a function returning epoch milliseconds')

  const owned = typeof options.database === 'string'
  const db = owned ? openDatabase(options.database as string) : adoptDatabase(options.database)
  const setup = (): Statements => setUp(db, table, owned)
  let schema: Statements | (() => Statements)
  try {
    schema = setup()
  } catch (error) {
    // Another connection holds a lock (two servers starting on one file): set up at first use, 503 until then.
    const busy = error instanceof HallpassError && isBusyError(error.cause)
    if (!busy) {
      if (owned) db.close()
      throw error
    }
    schema = setup
  }
  return new SqliteSessionStore(
    db,
    schema,
    clock,
    owned,
    purgeInterval,
  ) as SqliteStore as SqliteStore<DB>
}

/**
 * Turns on WAL, creates the table and its indexes and prepares the statements. Throws CONFIG_INVALID for a
 * read-only connection or a table of another shape, STORE_UNAVAILABLE (the SQLite error as `cause`) otherwise.
 */
function setUp(db: SqliteDriver, table: string, owned: boolean): Statements {
  try {
    useWal(db, owned)
    const sql = prepareSchema(db, table)
    requireWritable(db, table)
    return sql
  } catch (cause) {
    if (cause instanceof HallpassError) throw cause
    if (isReadonlyError(cause))
      configError('sqliteStore needs a writable Database (it was opened readonly)')
    throw new HallpassError('STORE_UNAVAILABLE', `sqliteStore could not set up table "${table}"`, {
      cause,
    })
  }
}

/** WAL lets readers run during a write. Set on every file database; `synchronous = NORMAL` only on ours. */
function useWal(db: SqliteDriver, owned: boolean): void {
  const main = db.prepare<[], { file: unknown }>(
    "SELECT file FROM pragma_database_list WHERE name = 'main'",
  )
  if (main.get()?.file === '') return // in memory (or a temporary database): no WAL
  const mode = db.prepare<[], { journal_mode: unknown }>('PRAGMA journal_mode').get()
  if (mode?.journal_mode !== 'wal') db.exec('PRAGMA journal_mode = WAL')
  if (owned) db.exec('PRAGMA synchronous = NORMAL')
}

/**
 * A write that changes nothing, to refuse a read-only connection at once (no driver tells it the same way).
 * SQLite checks read-only before it takes the write lock, so a busy database passes here and fails closed later.
 */
function requireWritable(db: SqliteDriver, table: string): void {
  try {
    db.prepare(`UPDATE "${table}" SET id = id WHERE 0`).run()
  } catch (cause) {
    if (isReadonlyError(cause)) throw cause
  }
}
