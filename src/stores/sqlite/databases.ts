// The shapes of the SQLite databases the store takes (better-sqlite3, bun:sqlite, node:sqlite): structural, no driver types needed.

/** A value the store binds to a statement. */
export type SqlValue = string | number | null

/** The statement methods all three drivers share (bun:sqlite's `get` gives `null` where the others give `undefined`). */
export interface StatementLike {
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  run(...params: unknown[]): { changes: number | bigint }
}

/** The parts of a better-sqlite3 `Database` the store uses. */
export interface BetterSqlite3Database {
  prepare(source: string): StatementLike & { safeIntegers(toggle: boolean): unknown }
  exec(source: string): unknown
  pragma(source: string, options?: { simple?: boolean | undefined }): unknown
  /** A transaction function; `.immediate()` runs it in `BEGIN IMMEDIATE` (a savepoint when nested). */
  transaction(fn: (work: () => void) => void): { immediate(work: () => void): void }
  close(): unknown
}

/** The parts of a bun:sqlite `Database` the store uses. */
export interface BunSqliteDatabase {
  /** `finalize()`: bun:sqlite closes a database only once its statements are finalized. */
  prepare(
    source: string,
  ): StatementLike & { safeIntegers(toggle: boolean): unknown; finalize(): unknown }
  query(source: string): unknown
  exec(source: string): unknown
  /** A transaction function; `.immediate()` runs it in `BEGIN IMMEDIATE` (a savepoint when nested). */
  transaction(fn: (work: () => void) => void): { immediate(work: () => void): void }
  close(): unknown
}

/** The parts of a node:sqlite `DatabaseSync` (Node ≥ 22.5, Deno) the store uses. */
export interface NodeSqliteDatabase {
  prepare(source: string): StatementLike & {
    setReadBigInts(enabled: boolean): unknown
    /** Node ≥ 24 (rows as arrays when the app opened the database with `returnArrays`). */
    setReturnArrays?(enabled: boolean): unknown
  }
  exec(source: string): unknown
  open(): unknown
  close(): unknown
  /** Whether a transaction is open (Node ≥ 22.16; older versions lack it). */
  readonly isTransaction?: boolean
}

/**
 * A better-sqlite3 `Database`, a bun:sqlite `Database` or a node:sqlite `DatabaseSync`. The kind is detected at
 * runtime; when you pass your own, the store never closes it.
 */
export type SqliteDatabase = BetterSqlite3Database | BunSqliteDatabase | NodeSqliteDatabase

/** Which driver a database belongs to. */
export type DriverKind = 'better-sqlite3' | 'bun:sqlite' | 'node:sqlite'

/** The kind of `db`, or undefined when it is none of the three. */
export function driverKind(db: unknown): DriverKind | undefined {
  if (typeof db !== 'object' || db === null) return undefined
  const d = db as Record<string, unknown>
  if (typeof d.prepare !== 'function' || typeof d.exec !== 'function') return undefined
  if (typeof d.close !== 'function') return undefined
  if (typeof d.transaction === 'function' && typeof d.pragma === 'function') return 'better-sqlite3'
  if (typeof d.transaction === 'function' && typeof d.query === 'function') return 'bun:sqlite'
  if (typeof d.transaction !== 'function' && typeof d.open === 'function') return 'node:sqlite'
  return undefined
}
