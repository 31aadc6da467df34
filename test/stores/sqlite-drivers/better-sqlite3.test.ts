// The SQLite store contract on better-sqlite3, in this process (the other drivers run in drivers.test.ts).
import Database from 'better-sqlite3'
import { sqliteDriverContract } from './contract.ts'

sqliteDriverContract({
  kind: 'better-sqlite3',
  open: (file, options = {}) => {
    const db = new Database(file, { readonly: options.readonly === true })
    if (options.bigInts === true) db.defaultSafeIntegers(true)
    return db
  },
})
