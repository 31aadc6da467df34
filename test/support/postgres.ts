// Test helpers on a real PostgreSQL server (test/support/postgres-server.ts): this file's server and pool, the
// three clients, PGlite, and table names that never collide.
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll } from 'vitest'
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
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('usePostgres: the server starts in beforeAll')
    return value
  }
  return {
    get server() {
      return started(server)
    },
    get pool() {
      return started(pool)
    },
  }
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

/** A pg Pool, a pg Client and a postgres.js instance on `server`. */
export async function connectClients(server: PostgresServer): Promise<PostgresClients> {
  const pool = new pg.Pool({ connectionString: server.url, max: 10 })
  const client = new pg.Client({ connectionString: server.url })
  // Once the stores are closed, nothing listens: a connection the server drops at shutdown must not end the run.
  pool.on('error', () => undefined)
  client.on('error', () => undefined)
  await client.connect()
  const sql = postgres(server.url, { max: 10, onnotice: () => undefined })
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
