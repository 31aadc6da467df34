// The SQLite store contract on bun:sqlite, run by the real Bun (`bun test`, spawned by drivers.test.ts).
import type { SqliteDatabase } from '../../../src/stores/sqlite.ts'
import { sqliteDriverContract } from './contract.ts'

interface BunDatabaseOptions {
  readonly?: boolean
  safeIntegers?: boolean
}
const { Database } = (await import('bun:sqlite' as string)) as {
  Database: new (file: string, options?: BunDatabaseOptions) => SqliteDatabase
}

sqliteDriverContract({
  kind: 'bun:sqlite',
  open: (file, options = {}) =>
    new Database(file, {
      ...(options.readonly === true && { readonly: true }),
      ...(options.bigInts === true && { safeIntegers: true }),
    }),
})
