// The CLI's SQLite store: the app's existing table, read-only for reads, never created, altered or switched to WAL.
import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import {
  checkTableName,
  COLUMNS,
  DEFAULT_TABLE,
  missingColumns,
  prepareStatements,
  sessionTables,
} from '../stores/sqlite/schema.ts'
import { adoptDatabase } from '../stores/sqlite/open.ts'
import type { SqliteDriver } from '../stores/sqlite/driver.ts'
import { SqliteSessionStore } from '../stores/sqlite/store.ts'
import { MissingStoreError, UsageError, type Access, type OpenedStore } from './stores.ts'

/**
 * Opens `path` (which must exist: else MissingStoreError, exit 1) and the sessions table in it. Reads use a read-only connection; a write
 * (revoke, purge) gets a read-write one but changes only rows. A file without the table is an error that
 * names the hallpass tables it does hold, and is left as it was.
 */
export async function openSqlite(
  path: string,
  access: Access,
  table: string = DEFAULT_TABLE,
): Promise<OpenedStore> {
  try {
    checkTableName(table)
  } catch {
    throw new UsageError(
      `--table must be a plain SQL identifier (letters, digits, _), got ${JSON.stringify(table)}`,
    )
  }
  if (!existsSync(path))
    throw new MissingStoreError(
      `no SQLite database at ${path}; pass --sqlite PATH, the file the app gives sqliteStore({ database })`,
    )
  const readonly = access === 'read'
  const db = new Database(path, { readonly, fileMustExist: true })
  try {
    const driver = adoptDatabase(db)
    requireTable(driver, path, table)
    const store = new SqliteSessionStore(
      driver,
      prepareStatements(driver, table, { readonly }),
      Date.now,
      true,
      0,
    )
    return { store, close: () => store.close() }
  } catch (error) {
    db.close()
    throw error
  }
}

/** Throws MissingStoreError unless `table` has every hallpass column, naming the tables that do. Only reads. */
function requireTable(db: SqliteDriver, path: string, table: string): void {
  let missing: string[]
  let tables: string[]
  try {
    missing = missingColumns(db, table)
    tables = missing.length === 0 ? [] : sessionTables(db)
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new MissingStoreError(`cannot read ${path} as a SQLite database (${reason})`)
  }
  if (missing.length === 0) return
  const what =
    missing.length === COLUMNS.length
      ? `no hallpass session table '${table}'`
      : `table '${table}' is not a hallpass session table (no ${missing.join(', ')})`
  const found =
    tables.length === 0 ? 'no hallpass session table' : tables.map((name) => `'${name}'`).join(', ')
  throw new MissingStoreError(
    `${what} in ${path} (it has ${found}); pass --table NAME, the table the app gives sqliteStore({ table })`,
  )
}
