// Test helpers on a real PostgreSQL server (test/support/postgres-server.ts): this file's server and pool, the
// three clients, PGlite, table names that never collide, fresh stores, and row locks with their waiters.
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll } from 'vitest'
import {
  migratePostgres,
  postgresStore,
  type PostgresClientLike,
  type PostgresStore,
  type PostgresStoreOptions,
} from '../../src/stores/postgres/index.ts'
import { startPostgres, type PostgresServer } from './postgres-server.ts'

export { startPostgres, type PostgresServer } from './postgres-server.ts'

/** What `usePostgres()` gives a test file; read it inside tests and hooks (it exists from `beforeAll` on). */
export interface PostgresFixture {
  readonly server: PostgresServer
  /** A pg Pool on the server, with an `error` listener so a connection dropped at shutdown never ends the run. */
  readonly pool: pg.Pool
}

/**
 * Starts a PostgreSQL server and a pg Pool on it for this test file (`beforeAll`), and ends both (`afterAll`).
 * Call it at the top level of the test file.
 *
 * @default max 10 (the pool's size)
 * @example
 * ```ts
 * const db = usePostgres({ max: 4 })
 * it('...', async () => { await migratePostgres({ client: db.pool, table: uniqueTable() }) })
 * ```
 */
export function usePostgres(options: { max?: number } = {}): PostgresFixture {
  let server: PostgresServer | undefined
  let pool: pg.Pool | undefined
  beforeAll(async () => {
    server = await startPostgres()
    pool = new pg.Pool({ connectionString: server.url, max: options.max ?? 10 })
    pool.on('error', () => undefined) // a connection the server drops at shutdown, once no store listens
  })
  afterAll(async () => {
    await pool?.end()
    await server?.stop()
  })
  return {
    get server() {
      return started(server, 'usePostgres')
    },
    get pool() {
      return started(pool, 'usePostgres')
    },
  }
}

/** `value` once the fixture's `beforeAll` has set it; read before that, an error that says so. */
function started<T>(value: T | undefined, fixture: string): T {
  if (value === undefined) throw new Error(`${fixture}: the server starts in beforeAll`)
  return value
}

let names = 0
/** A table name unique to this process and call, so tests sharing a database never see each other's rows. */
export function uniqueTable(label = 't'): string {
  names += 1
  return `${label}_${process.pid.toString(36)}_${names.toString(36)}`
}

/** The three ways to reach the real server, and PGlite in this process. */
export interface PostgresClients {
  readonly server: PostgresServer
  readonly pool: pg.Pool
  readonly client: pg.Client
  readonly sql: postgres.Sql
  /** Closes the clients (the server stays). */
  close(): Promise<void>
}

/** A pg Pool, a pg Client and a postgres.js instance on `server` (on its database at `url`, given one). */
export async function connectClients(
  server: PostgresServer,
  url: string = server.url,
): Promise<PostgresClients> {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  const client = new pg.Client({ connectionString: url })
  // Once the stores are closed, nothing listens: a connection the server drops at shutdown must not end the run.
  pool.on('error', () => undefined)
  client.on('error', () => undefined)
  await client.connect()
  const sql = postgres(url, { max: 10, onnotice: () => undefined })
  return {
    server,
    pool,
    client,
    sql,
    close: async () => {
      await Promise.allSettled([pool.end(), client.end(), sql.end({ timeout: 1 })])
    },
  }
}

/** An in-memory PGlite database (its own Postgres, in this process). */
export async function openPglite(): Promise<PGlite> {
  return PGlite.create()
}

/** A store's options in these tests, bar the client and table. */
export type TestStoreOptions = Omit<PostgresStoreOptions, 'client' | 'table'>

/**
 * A Postgres store on `table` with no purge timer and a deadline a loaded machine never trips; `options` win.
 *
 * @default purgeIntervalMs 0, statementTimeoutMs 30_000
 */
export function testStore(
  client: PostgresClientLike,
  table: string,
  options: TestStoreOptions = {},
): PostgresStore {
  return postgresStore({
    client,
    table,
    purgeIntervalMs: 0,
    statementTimeoutMs: 30_000,
    ...options,
  })
}

/**
 * Migrates a table of its own (`uniqueTable`) and gives a `testStore` on it.
 *
 * @example
 * ```ts
 * const { store, table } = await freshStore(db.pool, { conflictRetries: 0 })
 * ```
 */
export async function freshStore(
  client: PostgresClientLike,
  options: TestStoreOptions = {},
): Promise<{ store: PostgresStore; table: string }> {
  const table = uniqueTable('store')
  await migratePostgres({ client, table })
  return { store: testStore(client, table, options), table }
}

/** A connection that holds row locks, and one that watches pg_stat_activity for the backends waiting on them. */
export interface RowLocks {
  /** The test's own connection: it reads and changes rows behind the store's back, and holds the locks. */
  readonly admin: pg.Client
  /** Opens a transaction on `admin` and runs `sql` in it: the rows it writes or locks stay locked until `commit()`. */
  lock(sql: string, params?: unknown[]): Promise<void>
  /** Commits `admin`'s transaction, letting its locks go. */
  commit(): Promise<void>
  /** Resolves once at least `count` backends of the server wait for a lock (a statement is held up). */
  lockWaiters(count: number): Promise<void>
  /** Resolves once no backend of the server waits for a lock (a cancelled statement has left it). */
  noLockWaiters(): Promise<void>
  /** Ends both connections. */
  close(): Promise<void>
}

/**
 * Connects `RowLocks` to the database at `url`. The waits end on what pg_stat_activity shows, never on a timer (it
 * is read again every 5 ms, outside any transaction, which would see one frozen snapshot of it).
 *
 * @example
 * ```ts
 * await locks.lock(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [id])
 * const write = store.patch(id, change)
 * await locks.lockWaiters(1)
 * await locks.commit()
 * ```
 */
export async function connectRowLocks(url: string): Promise<RowLocks> {
  const admin = new pg.Client({ connectionString: url })
  const watcher = new pg.Client({ connectionString: url })
  await Promise.all([admin.connect(), watcher.connect()])
  const waiting = async (done: (count: number) => boolean): Promise<void> => {
    for (;;) {
      const { rows } = await watcher.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`,
      )
      if (done(rows[0]?.n ?? 0)) return
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  return {
    admin,
    lock: async (sql, params) => {
      await admin.query('BEGIN')
      await admin.query(sql, params)
    },
    commit: async () => void (await admin.query('COMMIT')),
    lockWaiters: (count) => waiting((n) => n >= count),
    noLockWaiters: () => waiting((n) => n === 0),
    close: async () => void (await Promise.all([admin.end(), watcher.end()])),
  }
}

/** The two drivers the race tests run on, for `describe.each(POSTGRES_DRIVERS)`. */
export const POSTGRES_DRIVERS = ['pg Pool', 'postgres.js'] as const
export type PostgresDriver = (typeof POSTGRES_DRIVERS)[number]

/** What `useLockingPostgres()` gives a test file; read it inside tests and hooks (it exists from `beforeAll` on). */
export interface LockingPostgres extends Omit<PostgresClients, 'close'>, Omit<RowLocks, 'close'> {
  /** The database the clients and the lock connections use. */
  readonly url: string
  /** The client of a `POSTGRES_DRIVERS` name. */
  driver(name: PostgresDriver): PostgresClientLike
}

/**
 * Starts a PostgreSQL server for this test file with `connectClients` and `connectRowLocks` on it (`beforeAll`), and
 * ends them (`afterAll`). Given `defaultIsolation`, all of them use a database of their own whose transactions run at
 * that level by default. Call it at the top level of the test file.
 *
 * @default defaultIsolation the server's (READ COMMITTED)
 * @example
 * ```ts
 * const db = useLockingPostgres()
 * describe.each(POSTGRES_DRIVERS)('%s', (name) => {
 *   it('...', async () => { const { store, table } = await freshStore(db.driver(name)) })
 * })
 * ```
 */
export function useLockingPostgres(
  options: { defaultIsolation?: 'serializable' | 'repeatable read' } = {},
): LockingPostgres {
  let server: PostgresServer | undefined
  let state: { url: string; clients: PostgresClients; locks: RowLocks } | undefined
  beforeAll(async () => {
    server = await startPostgres()
    let url = server.url
    if (options.defaultIsolation !== undefined) {
      const setup = new pg.Client({ connectionString: server.url })
      await setup.connect()
      await setup.query('CREATE DATABASE strict')
      await setup.query(
        `ALTER DATABASE strict SET default_transaction_isolation = '${options.defaultIsolation}'`,
      )
      await setup.end()
      url = server.url.replace(/\/postgres$/, '/strict')
    }
    const clients = await connectClients(server, url)
    state = { url, clients, locks: await connectRowLocks(url) }
  })
  afterAll(async () => {
    await state?.locks.close()
    await state?.clients.close()
    await server?.stop()
  })
  const live = () => started(state, 'useLockingPostgres')
  return {
    get server() {
      return started(server, 'useLockingPostgres')
    },
    get url() {
      return live().url
    },
    get pool() {
      return live().clients.pool
    },
    get client() {
      return live().clients.client
    },
    get sql() {
      return live().clients.sql
    },
    get admin() {
      return live().locks.admin
    },
    driver: (name) => (name === 'pg Pool' ? live().clients.pool : live().clients.sql),
    lock: (sql, params) => live().locks.lock(sql, params),
    commit: () => live().locks.commit(),
    lockWaiters: (count) => live().locks.lockWaiters(count),
    noLockWaiters: () => live().locks.noLockWaiters(),
  }
}
