// A Durable Object's `ctx.storage.sql` in the shape of the better-sqlite3 calls the SQLite store makes.
import type BetterSqlite3 from 'better-sqlite3'
import type { DurableStorage } from './types.ts'

/** One statement: the SQL text, run with `exec` each time (the runtime caches prepared statements itself). */
class DurableStatement {
  private plucked = false

  constructor(
    private readonly storage: DurableStorage,
    private readonly source: string,
  ) {}

  /** Numbers come back as numbers in Durable Object SQL already. */
  safeIntegers(): this {
    return this
  }

  /** Rows become their first column. */
  pluck(): this {
    this.plucked = true
    return this
  }

  get(...bindings: unknown[]): unknown {
    return this.all(...bindings)[0]
  }

  all(...bindings: unknown[]): unknown[] {
    const rows = this.storage.sql.exec(this.source, ...bindings).toArray()
    return this.plucked ? rows.map((row) => Object.values(row)[0]) : rows
  }

  run(...bindings: unknown[]): { changes: number } {
    const cursor = this.storage.sql.exec(this.source, ...bindings)
    cursor.toArray()
    return { changes: cursor.rowsWritten }
  }
}

/**
 * The better-sqlite3 `Database` members the SQLite store and its schema use (`prepare`, `exec`, `pragma`,
 * `transaction`), over a Durable Object's storage. A transaction is `transactionSync`: the object is
 * single-threaded and each call is synchronous, so nothing else runs in between and a throw rolls it back.
 */
export class DurableSqlDatabase {
  readonly open = true
  readonly readonly = false
  /** No WAL switch: the runtime manages the file. */
  readonly memory = true

  constructor(private readonly storage: DurableStorage) {}

  prepare(source: string): DurableStatement {
    return new DurableStatement(this.storage, source)
  }

  exec(source: string): this {
    this.storage.sql.exec(source).toArray()
    return this
  }

  /** `table_info` is the one pragma the schema reads; Durable Object SQL allows it. */
  pragma(source: string): unknown[] {
    return this.storage.sql.exec(`PRAGMA ${source}`).toArray()
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): { immediate: (...args: A) => R } {
    return { immediate: (...args) => this.storage.transactionSync(() => fn(...args)) }
  }

  /** The runtime owns the database: nothing to close. */
  close(): void {}
}

/**
 * The adapter typed as the better-sqlite3 `Database` the SQLite store's constructor names. It implements only
 * the members that store calls (listed above), which the Durable Object contract suite exercises on workerd.
 */
export function asBetterSqlite3(db: DurableSqlDatabase): BetterSqlite3.Database {
  return db as unknown as BetterSqlite3.Database
}
