// The SQLite store contract on node:sqlite, run by vitest on a Node >= 22.15 with better-sqlite3 hidden (drivers.test.ts).
import type { SqliteDatabase } from '../../../src/stores/sqlite.ts'
import { sqliteDriverContract } from './contract.ts'

interface DatabaseSyncOptions {
  readOnly?: boolean
  readBigInts?: boolean
}
const { DatabaseSync } = (await import('node:sqlite' as string)) as {
  DatabaseSync: new (file: string, options?: DatabaseSyncOptions) => SqliteDatabase
}

sqliteDriverContract({
  kind: 'node:sqlite',
  open: (file, options = {}) =>
    new DatabaseSync(file, {
      ...(options.readonly === true && { readOnly: true }),
      ...(options.bigInts === true && { readBigInts: true }),
    }),
})
