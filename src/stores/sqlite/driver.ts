// One way to run SQL on any of the three SQLite drivers: prepared statements with plain numbers, and IMMEDIATE transactions.
import {
  driverKind,
  type BetterSqlite3Database,
  type BunSqliteDatabase,
  type DriverKind,
  type NodeSqliteDatabase,
  type SqliteDatabase,
  type SqlValue,
  type StatementLike,
} from './databases.ts'

/**
 * A prepared statement. `R` names the selected columns; their values come from the file and are not trusted
 * (the codec checks every one). Integers always come back as numbers, whatever the app set on the connection.
 */
export interface Statement<P extends SqlValue[] = SqlValue[], R = unknown> {
  get(...params: P): R | undefined
  all(...params: P): R[]
  /** Runs a write and returns how many rows it changed. */
  run(...params: P): number
}

/**
 * What the store and its schema run SQL through: the three drivers below, and a Durable Object's storage
 * (src/stores/durable-object/sql-runner.ts).
 */
export interface SqlRunner<Db = unknown> {
  /** The connection itself, as the app or the store opened it. */
  readonly database: Db
  prepare<P extends SqlValue[] = SqlValue[], R = unknown>(sql: string): Statement<P, R>
  exec(sql: string): void
  /** Runs `work` in `BEGIN IMMEDIATE` … `COMMIT` (a savepoint inside an open transaction); rolls back when it throws. */
  immediate<T>(work: () => T): T
  close(): void
}

/** A runner over one of the three drivers' databases; one implementation per driver below. */
export interface SqliteDriver extends SqlRunner<SqliteDatabase> {
  readonly kind: DriverKind
}

/** The driver for `db`, or undefined when it is none of better-sqlite3, bun:sqlite and node:sqlite. */
export function driverFor(db: unknown): SqliteDriver | undefined {
  const kind = driverKind(db)
  if (kind === 'better-sqlite3') return betterSqlite3(db as BetterSqlite3Database)
  if (kind === 'bun:sqlite') return bunSqlite(db as BunSqliteDatabase)
  if (kind === 'node:sqlite') return nodeSqlite(db as NodeSqliteDatabase)
  return undefined
}

/** Wraps a driver's statement: `null` rows become `undefined`, `changes` a number. */
function statement<P extends SqlValue[], R>(raw: StatementLike): Statement<P, R> {
  return {
    get: (...params) => (raw.get(...params) ?? undefined) as R | undefined,
    all: (...params) => raw.all(...params) as R[],
    run: (...params) => Number(raw.run(...params).changes),
  }
}

/** better-sqlite3: its transaction helper does IMMEDIATE, and savepoints inside an open transaction. */
function betterSqlite3(db: BetterSqlite3Database): SqliteDriver {
  const transaction = db.transaction((work) => work())
  return {
    kind: 'better-sqlite3',
    database: db,
    prepare(sql) {
      const raw = db.prepare(sql)
      raw.safeIntegers(false)
      return statement(raw)
    },
    exec: (sql) => void db.exec(sql),
    immediate: (work) => runIn(transaction, work),
    close: () => void db.close(),
  }
}

/** bun:sqlite: better-sqlite3's API; its statements are finalized on close, or the file would stay open. */
function bunSqlite(db: BunSqliteDatabase): SqliteDriver {
  const transaction = db.transaction((work) => work())
  const prepared: { finalize(): unknown }[] = []
  return {
    kind: 'bun:sqlite',
    database: db,
    prepare(sql) {
      const raw = db.prepare(sql)
      raw.safeIntegers(false)
      prepared.push(raw)
      return statement(raw)
    },
    exec: (sql) => void db.exec(sql),
    immediate: (work) => runIn(transaction, work),
    close() {
      for (const raw of prepared.splice(0)) raw.finalize()
      db.close()
    },
  }
}

/** Runs `work` through a transaction helper's `.immediate()` and returns its result. */
function runIn<T>(transaction: { immediate(work: () => void): void }, work: () => T): T {
  let value!: T // set by `work`, which the helper runs before returning (or throws)
  transaction.immediate(() => void (value = work()))
  return value
}

/** node:sqlite has no transaction helper: BEGIN IMMEDIATE / COMMIT by hand, ROLLBACK on any error. */
function nodeSqlite(db: NodeSqliteDatabase): SqliteDriver {
  return {
    kind: 'node:sqlite',
    database: db,
    prepare(sql) {
      const raw = db.prepare(sql)
      raw.setReadBigInts(false)
      raw.setReturnArrays?.(false)
      return statement(raw)
    },
    exec: (sql) => void db.exec(sql),
    immediate<T>(work: () => T): T {
      const nested = db.isTransaction === true
      db.exec(nested ? 'SAVEPOINT hallpass' : 'BEGIN IMMEDIATE')
      try {
        const value = work()
        db.exec(nested ? 'RELEASE hallpass' : 'COMMIT')
        return value
      } catch (error) {
        try {
          db.exec(nested ? 'ROLLBACK TO hallpass; RELEASE hallpass' : 'ROLLBACK')
        } catch {
          // SQLite already rolled back (an I/O error or a full disk does that): nothing is left to undo.
        }
        throw error
      }
    },
    close: () => void db.close(),
  }
}
