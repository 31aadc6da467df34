// The bench's PostgreSQL: a real server (the test harness's), the scenario tables, and bytes per session.
import { migratePostgres } from 'hallpass/stores/postgres'
import pg from 'pg'
import { startPostgres } from '../../test/support/postgres.ts'

/** The tables the Postgres scenarios use (bench/scenarios/postgres.ts), created before the servers start. */
export const PG_TABLES = {
  raw: 'bench_raw',
  hallpass: 'hallpass_sessions',
  peer: 'bench_connect_pg',
} as const

/** A PostgreSQL server for one bench run. */
export interface BenchPostgres {
  readonly url: string
  /** pg_total_relation_size of a table: its heap, indexes and TOAST. */
  tableBytes(table: string): Promise<number>
  truncate(table: string): Promise<void>
  stop(): Promise<void>
}

/** Starts PostgreSQL on a free loopback port and creates the three scenario tables. */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const server = await startPostgres()
  const admin = new pg.Pool({ connectionString: server.url, max: 2 })
  admin.on('error', () => undefined) // a connection the server drops when it stops
  await migratePostgres({ client: admin, table: PG_TABLES.hallpass })
  await admin.query(
    `CREATE TABLE ${PG_TABLES.raw} (id text PRIMARY KEY, user_id text NOT NULL, counter integer NOT NULL)`,
  )
  // connect-pg-simple's documented table (its table.sql), under another name.
  await admin.query(
    `CREATE TABLE ${PG_TABLES.peer} (sid varchar NOT NULL PRIMARY KEY, sess json NOT NULL, expire timestamp(6) NOT NULL)`,
  )
  await admin.query(`CREATE INDEX ${PG_TABLES.peer}_expire ON ${PG_TABLES.peer} (expire)`)
  return {
    url: server.url,
    tableBytes: async (table) => {
      const { rows } = await admin.query<{ bytes: string }>(
        'SELECT pg_total_relation_size($1::regclass) AS bytes',
        [table],
      )
      return Number(rows[0]?.bytes)
    },
    truncate: async (table) => void (await admin.query(`TRUNCATE ${table}`)),
    stop: async () => {
      await admin.end()
      await server.stop()
    },
  }
}
