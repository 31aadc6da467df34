// The bench's PostgreSQL: a real server (the test harness's), the scenario tables, and bytes per session.
import { migratePostgres } from 'hallpass/stores/postgres'
import pg from 'pg'
import { startPostgres } from '../../test/support/postgres-server.ts'
import { processTreeCpu } from './proc.ts'

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
  /**
   * Statements the server has completed so far, by normalized text: calls, and planning plus execution time in µs
   * (pg_stat_statements; its own queries left out).
   */
  statements(): Promise<Map<string, { calls: number; micros: number }>>
  /** CPU time (user + system, µs) the server's processes have used so far: postmaster, backends, writers. */
  cpu(): number
  stop(): Promise<void>
}

/** Starts PostgreSQL on a free loopback port (with pg_stat_statements) and creates the three scenario tables. */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const server = await startPostgres({
    settings: [
      'shared_preload_libraries=pg_stat_statements',
      'pg_stat_statements.track_planning=on',
    ],
  })
  const admin = new pg.Pool({ connectionString: server.url, max: 2 })
  admin.on('error', () => undefined) // a connection the server drops when it stops
  await admin.query('CREATE EXTENSION pg_stat_statements')
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
    statements: async () => {
      const { rows } = await admin.query<{ query: string; calls: string; ms: string }>(
        `SELECT query, calls::text, (total_plan_time + total_exec_time)::text AS ms FROM pg_stat_statements
         WHERE query NOT LIKE '%pg_stat_statements%'`,
      )
      const seen = new Map<string, { calls: number; micros: number }>()
      for (const row of rows) {
        const was = seen.get(row.query) ?? { calls: 0, micros: 0 }
        seen.set(row.query, {
          calls: was.calls + Number(row.calls),
          micros: was.micros + Number(row.ms) * 1000,
        })
      }
      return seen
    },
    cpu: () => {
      const pid = server.pid()
      if (pid === undefined) throw new Error('the bench PostgreSQL server is not running')
      return processTreeCpu(pid)
    },
    stop: async () => {
      await admin.end()
      await server.stop()
    },
  }
}
