// `sqliteStore()`: checks options, opens or adopts a better-sqlite3 database, turns on WAL, builds the store.
import Database from 'better-sqlite3'
import { configError, HallpassError } from '../../errors.ts'
import { MAX_TIMER_MS, millisecondsOption } from '../milliseconds.ts'
import type { Store } from '../types.ts'
import { checkTableName, DEFAULT_TABLE, prepareSchema } from './schema.ts'
import { SqliteSessionStore } from './store.ts'

type Connection = Database.Database

/**
 * The parts of a better-sqlite3 `Database` the store relies on. A real `Database` fits it, so these public
 * types need no `@types/better-sqlite3`; when you pass your own, `store.database` keeps its type.
 */
export interface SqliteDatabase {
  readonly open: boolean
  readonly readonly: boolean
  readonly memory: boolean
  prepare(source: string): unknown
  exec(source: string): unknown
  pragma(source: string, options?: { simple?: boolean | undefined }): unknown
  transaction(fn: (...args: never[]) => unknown): unknown
  close(): unknown
}

export interface SqliteStoreOptions<DB extends SqliteDatabase = SqliteDatabase> {
  /**
   * The better-sqlite3 `Database` your app already uses (sessions then live beside your own tables, and
   * the store never closes it), or a filename to open (`':memory:'` for a throwaway database).
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
  /** The connection in use: yours, or the one the store opened (a better-sqlite3 `Database`). */
  readonly database: DB
  /** Deletes every expired row now and returns how many. */
  purge(): Promise<number>
  /** Stops the purge timer; closes the database only if the store opened it. */
  close(): Promise<void>
}

const KNOWN_OPTIONS = new Set(['database', 'table', 'purgeIntervalMs', 'clock'])

/**
 * An embedded, persistent session store on better-sqlite3: sessions survive restarts, and one file can hold
 * both your app's tables and its sessions. Every write that touches a session and its user's index runs
 * in one transaction. SQLite failures (SQLITE_BUSY, I/O errors, a closed connection) surface as
 * `HallpassError` `STORE_UNAVAILABLE`; bad options throw `CONFIG_INVALID` at once.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { createSessions } from 'hallpass'
 * import { sqliteStore } from 'hallpass/stores/sqlite'
 *
 * const db = new Database('./data/app.db')          // your users table lives here too
 * const sessions = createSessions({ secret, store: sqliteStore({ database: db }) })
 * ```
 */
export function sqliteStore<DB extends SqliteDatabase = SqliteDatabase>(
  options: SqliteStoreOptions<DB>,
): SqliteStore<DB> {
  if (typeof options !== 'object' || options === null)
    configError('sqliteStore needs an options object with at least { database }')
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key))
      configError(
        `sqliteStore: unknown option "${key}"; known options are ${[...KNOWN_OPTIONS].join(', ')}`,
      )
  }
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
  const db = owned ? openFile(options.database as string) : adopt(options.database)
  try {
    useWal(db, owned)
    return new SqliteSessionStore(
      db,
      prepareSchema(db, table),
      clock,
      owned,
      purgeInterval,
    ) as SqliteStore as SqliteStore<DB>
  } catch (cause) {
    if (owned) db.close()
    if (cause instanceof HallpassError) throw cause
    throw new HallpassError('STORE_UNAVAILABLE', `sqliteStore could not set up table "${table}"`, {
      cause,
    })
  }
}

function openFile(filename: string): Connection {
  if (filename.trim() === '')
    configError(
      "sqliteStore database must be a better-sqlite3 Database, a file path, or ':memory:' (got an empty string)",
    )
  try {
    return new Database(filename)
  } catch (cause) {
    throw new HallpassError(
      'CONFIG_INVALID',
      `hallpass: sqliteStore could not open the database file ${JSON.stringify(filename)}`,
      { cause },
    )
  }
}

/** Accepts anything shaped like a better-sqlite3 Database (a second copy of the module still works). */
function adopt(value: unknown): Connection {
  const db = value as Partial<Connection> | null
  const shaped =
    typeof db === 'object' &&
    db !== null &&
    typeof db.prepare === 'function' &&
    typeof db.transaction === 'function' &&
    typeof db.pragma === 'function' &&
    typeof db.exec === 'function'
  if (!shaped)
    configError(
      "sqliteStore database must be a better-sqlite3 Database, a file path, or ':memory:'",
    )
  if (db.open !== true) configError('sqliteStore was given a closed Database')
  if (db.readonly === true)
    configError('sqliteStore needs a writable Database (it was opened readonly)')
  return db as Connection
}

/** WAL lets readers run during a write. Set on every file database; `synchronous = NORMAL` only on ours. */
function useWal(db: Connection, owned: boolean): void {
  if (db.memory) return
  if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL')
  if (owned) db.pragma('synchronous = NORMAL')
}
