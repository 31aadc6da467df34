// The connection a SQLite store runs on: the app's database (any of the three drivers), or a file opened with the runtime's driver.
import { createRequire } from 'node:module'
import { configError, HallpassError } from '../../errors.ts'
import { driverKind, type SqliteDatabase } from './databases.ts'
import { driverFor, type SqliteDriver } from './driver.ts'
import { isBusyError } from './sqlite-errors.ts'

/** What the store accepts, for the messages below. */
const ACCEPTED =
  "a better-sqlite3 Database, a bun:sqlite Database, a node:sqlite DatabaseSync, a file path, or ':memory:'"

/** Loads a driver module synchronously, only when it is the one in use (better-sqlite3 is never imported otherwise). */
const load = createRequire(import.meta.url)

/**
 * The driver for a database the app passed in: refused unless it is one of the three and open. A database another
 * connection holds locked is open (SQLITE_BUSY): it is taken, and the store fails closed until the lock goes.
 */
export function adoptDatabase(value: unknown): SqliteDriver {
  if (driverKind(value) === undefined) configError(`sqliteStore database must be ${ACCEPTED}`)
  let driver: SqliteDriver | undefined
  try {
    driver = driverFor(value) as SqliteDriver // better-sqlite3 refuses a closed database here
    driver.prepare('SELECT 1').get()
  } catch (error) {
    if (driver === undefined || !isBusyError(error))
      configError('sqliteStore was given a closed Database')
  }
  return driver
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
      `hallpass: sqliteStore could not open the database file ${JSON.stringify(filename)}: ${whyNot(cause)}`,
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
    throw new HallpassError(
      'CONFIG_INVALID',
      `hallpass: sqliteStore could not load ${name}: ${whyNot(error)}`,
      { cause: error },
    )
  }
}

/** Why a driver could not load or open a file, and how to fix it, for the message (the error stays the `cause`). */
function whyNot(cause: unknown): string {
  const { name, code, message } = (cause ?? {}) as {
    name?: unknown
    code?: unknown
    message?: unknown
  }
  const text = typeof message === 'string' ? message : String(cause)
  if (name === 'NotCapable' || name === 'PermissionDenied')
    return (
      `Deno refused it (${text}). Run Deno with --allow-read --allow-write for this path (SQLite also writes ` +
      'its -wal and -shm files beside it), or pass a DatabaseSync you opened'
    )
  const abi = /NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/.exec(text)
  if (abi !== null || code === 'ERR_DLOPEN_FAILED') {
    const detail = abi ? `built for NODE_MODULE_VERSION ${abi[1]}, this Node needs ${abi[2]}` : text
    return (
      `better-sqlite3's native module does not load in this Node (${detail}). Rebuild it for this Node ` +
      "(npm rebuild better-sqlite3) or use node:sqlite: pass new DatabaseSync(file) from 'node:sqlite' (Node ≥ 22.5)"
    )
  }
  return text
}
