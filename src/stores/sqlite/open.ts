// The connection a SQLite store runs on: the app's database (any of the three drivers), or a file opened with the runtime's driver.
import { createRequire } from 'node:module'
import { configError, HallpassError } from '../../errors.ts'
import { driverKind, type SqliteDatabase } from './databases.ts'
import { driverFor, type SqliteDriver } from './driver.ts'

/** What the store accepts, for the messages below. */
const ACCEPTED =
  "a better-sqlite3 Database, a bun:sqlite Database, a node:sqlite DatabaseSync, a file path, or ':memory:'"

/** Loads a driver module synchronously, only when it is the one in use (better-sqlite3 is never imported otherwise). */
const load = createRequire(import.meta.url)

/** The driver for a database the app passed in: refused unless it is one of the three, open and writable. */
export function adoptDatabase(value: unknown): SqliteDriver {
  if (driverKind(value) === undefined) configError(`sqliteStore database must be ${ACCEPTED}`)
  try {
    const driver = driverFor(value) as SqliteDriver
    driver.prepare('SELECT 1').get()
    return driver
  } catch {
    configError('sqliteStore was given a closed Database')
  }
}

/**
 * Opens `filename` with the runtime's own driver: bun:sqlite on Bun, node:sqlite on Deno; on Node, better-sqlite3
 * when it is installed, else node:sqlite (Node ≥ 22.5).
 */
export function openDatabase(filename: string): SqliteDriver {
  if (filename.trim() === '')
    configError(`sqliteStore database must be ${ACCEPTED} (got an empty string)`)
  const open = chooseOpener()
  let db: SqliteDatabase
  try {
    db = open(filename)
  } catch (cause) {
    throw new HallpassError(
      'CONFIG_INVALID',
      `hallpass: sqliteStore could not open the database file ${JSON.stringify(filename)}`,
      { cause },
    )
  }
  return adoptDatabase(db)
}

type Opener = (filename: string) => SqliteDatabase

/** The constructor of the runtime's driver. */
function chooseOpener(): Opener {
  const versions: Partial<Record<string, string>> = globalThis.process?.versions ?? {}
  if (versions.bun !== undefined) {
    const { Database } = load('bun:sqlite') as { Database: new (file: string) => SqliteDatabase }
    return (file) => new Database(file)
  }
  if (versions.deno === undefined) {
    const BetterSqlite3 = optional<new (file: string) => SqliteDatabase>('better-sqlite3')
    if (BetterSqlite3 !== undefined) return (file) => new BetterSqlite3(file)
  }
  const nodeSqlite = optional<{ DatabaseSync: new (file: string) => SqliteDatabase }>('node:sqlite')
  if (nodeSqlite !== undefined) return (file) => new nodeSqlite.DatabaseSync(file)
  configError(
    'sqliteStore needs a SQLite driver to open a file: install better-sqlite3 (npm install better-sqlite3), ' +
      'run on Node ≥ 22.5, Bun or Deno (their built-in SQLite), or pass a Database you opened',
  )
}

/** The module, or undefined when it is not installed (or not built into this runtime). A module that fails to load throws. */
function optional<T>(name: string): T | undefined {
  try {
    return load(name) as T
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_UNKNOWN_BUILTIN_MODULE') return undefined
    throw new HallpassError('CONFIG_INVALID', `hallpass: sqliteStore could not load ${name}`, {
      cause: error,
    })
  }
}
