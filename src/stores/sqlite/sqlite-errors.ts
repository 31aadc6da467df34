// What kind of SQLite failure an error is, read the same way from better-sqlite3, bun:sqlite and node:sqlite.

/** SQLite's primary result code of `error` (5 for SQLITE_BUSY, 8 for SQLITE_READONLY, …), or undefined. */
function primaryCode(error: unknown): number | string | undefined {
  const { code, errcode } = (error ?? {}) as { code?: unknown; errcode?: unknown }
  if (typeof errcode === 'number') return errcode & 0xff // node:sqlite
  // better-sqlite3 and bun:sqlite: 'SQLITE_BUSY', 'SQLITE_READONLY_DBMOVED', … (the primary name is the prefix).
  return typeof code === 'string' ? /^SQLITE_[A-Z]+/.exec(code)?.[0] : undefined
}

/** SQLITE_READONLY (or one of its extended codes): the connection cannot write. */
export function isReadonlyError(error: unknown): boolean {
  const code = primaryCode(error)
  return code === 8 || code === 'SQLITE_READONLY'
}

/** SQLITE_BUSY or SQLITE_LOCKED: another connection holds a lock; the database is open and will answer later. */
export function isBusyError(error: unknown): boolean {
  const code = primaryCode(error)
  return code === 5 || code === 6 || code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
}
