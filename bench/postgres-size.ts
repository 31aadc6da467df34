// Postgres sizing: signs in N users through hallpass on a real server and reports pg_total_relation_size per session.
import { parseArgs } from 'node:util'
import { createSessions } from 'hallpass'
import { postgresStore } from 'hallpass/stores/postgres'
import pg from 'pg'
import { BROWSER_UA } from './lib/client.ts'
import { machine } from './lib/machine.ts'
import { PG_TABLES, startBenchPostgres } from './lib/postgres.ts'

const { values: args } = parseArgs({
  options: { sessions: { type: 'string', default: '100000' } },
})
const count = Number(args.sessions)
if (!Number.isInteger(count) || count < 1) throw new Error('--sessions must be a positive integer')
const PROJECTED = 100_000_000
const CONCURRENCY = 32

const postgres = await startBenchPostgres()
const pool = new pg.Pool({ connectionString: postgres.url, max: CONCURRENCY })
pool.on('error', () => undefined) // the server stops at the end
const store = postgresStore({ client: pool, table: PG_TABLES.hallpass, purgeIntervalMs: 0 })
const sessions = createSessions({
  secret: 'bench-secret-0123456789-abcdefghijklmnop',
  store,
})

/** One sign-in as an app makes it: a user id, the browser's user agent and IP, a small data object. */
async function signIn(i: number): Promise<void> {
  const session = await sessions.load({
    ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
    userAgent: BROWSER_UA,
  })
  await session.login(`user-${i}@example.com`)
  session.set('theme', 'dark')
  session.set('cartItems', i % 7)
  await session.commit()
}

const started = Date.now()
const before = await postgres.tableBytes(PG_TABLES.hallpass)
let next = 0
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await signIn(next++)
  }),
)
await pool.query(`VACUUM ANALYZE ${PG_TABLES.hallpass}`)
const parts = await pool.query<{ name: string; bytes: string }>(
  `SELECT c.relname AS name, pg_relation_size(c.oid)::text AS bytes FROM pg_class c
   WHERE c.oid = $1::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = $1::regclass)
   ORDER BY c.relname`,
  [PG_TABLES.hallpass],
)
const total = (await postgres.tableBytes(PG_TABLES.hallpass)) - before
const perSession = total / count
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`
const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`
console.log(
  [
    `## Postgres sizing, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Machine: ${machine()}. Command: \`npm run bench:postgres-size -- --sessions ${count}\` (${((Date.now() - started) / 1000).toFixed(0)} s).`,
    `${count.toLocaleString('en-US')} signed-in sessions (user id, IP, a browser user agent, two data keys), then VACUUM ANALYZE.`,
    '',
    '| relation | size |',
    '|---|---:|',
    ...parts.rows.map((row) => `| ${row.name} | ${mib(Number(row.bytes))} |`),
    `| total (pg_total_relation_size, with TOAST) | ${mib(total)} |`,
    '',
    `Per session: ${Math.round(perSession)} B. Projected to ${PROJECTED.toLocaleString('en-US')} sessions (linear): ${gib(perSession * PROJECTED)}.`,
  ].join('\n'),
)
await store.close()
await pool.end()
await postgres.stop()
