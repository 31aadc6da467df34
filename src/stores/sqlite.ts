// Entry point of `hallpass/stores/sqlite`: the embedded, persistent session store on better-sqlite3.
export {
  sqliteStore,
  type SqliteDatabase,
  type SqliteStore,
  type SqliteStoreOptions,
} from './sqlite/index.ts'
