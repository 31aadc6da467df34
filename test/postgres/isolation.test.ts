// The store on a database whose default isolation is SERIALIZABLE (as some teams set it): the update() race and the
// per-user cap hold exactly as at READ COMMITTED, through pg and postgres.js.
import pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  migratePostgres,
  postgresStore,
  type PostgresClientLike,
} from '../../src/stores/postgres/index.ts'
import type { SessionRecord } from '../../src/stores/types.ts'
import { testRecord } from '../../src/testing/index.ts'
import { startPostgres, uniqueTable, type PostgresServer } from '../support/postgres.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const HOUR = 3_600_000
let server: PostgresServer
let pool: pg.Pool
let sql: postgres.Sql

beforeAll(async () => {
  server = await startPostgres()
  const admin = new pg.Client({ connectionString: server.url })
  await admin.connect()
  await admin.query('CREATE DATABASE strict')
  await admin.query(`ALTER DATABASE strict SET default_transaction_isolation = 'serializable'`)
  await admin.end()
  const url = server.url.replace(/\/postgres$/, '/strict')
  pool = new pg.Pool({ connectionString: url, max: 10 })
  pool.on('error', () => undefined)
  sql = postgres(url, { max: 10, onnotice: () => undefined })
})

afterAll(async () => {
  await Promise.allSettled([pool?.end(), sql?.end({ timeout: 1 })])
  await server?.stop()
})

/** Resolves once a backend waits for a lock (asked outside any transaction, which would freeze pg_stat_activity). */
async function waitForLockWaiter(): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`,
    )
    if ((rows[0]?.n ?? 0) >= 1) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const DRIVERS: Record<string, () => PostgresClientLike> = {
  'pg Pool': () => pool,
  'postgres.js': () => sql,
}

describe.each(Object.keys(DRIVERS))('default_transaction_isolation = serializable, %s', (name) => {
  const client = (): PostgresClientLike => (DRIVERS[name] as () => PostgresClientLike)()

  async function freshTable(): Promise<string> {
    const table = uniqueTable('iso')
    await migratePostgres({ client: client(), table })
    return table
  }

  it('the connections really are SERIALIZABLE by default', async () => {
    const rows: unknown = await (name === 'pg Pool'
      ? pool.query('SHOW transaction_isolation').then((r) => r.rows)
      : sql`SHOW transaction_isolation`)
    expect(rows).toEqual([{ transaction_isolation: 'serializable' }])
  })

  it('200 concurrent update() increments on one session across 2 managers all land: no 503, no 409', async () => {
    const table = await freshTable()
    // Two app processes' managers, each with its own store on the shared client.
    const managers = [0, 1].map(
      () =>
        testSessions({
          store: postgresStore({
            client: client(),
            table,
            purgeIntervalMs: 0,
            statementTimeoutMs: 30_000,
          }),
        }).sessions,
    )
    const [one, two] = managers as [(typeof managers)[0], (typeof managers)[0]]
    const first = await one.load()
    await first.login('alice')
    const cookie = cookiePair((await first.commit()).cookies[0])
    const requests = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? one : two).load({ cookie })),
    )
    const results = await Promise.allSettled(
      requests.map((s) => s.update((d) => void (d.n = Number(d.n ?? 0) + 1))),
    )
    const failures = results.flatMap((r) =>
      r.status === 'rejected' ? [String((r.reason as { code?: unknown }).code)] : [],
    )
    expect(failures).toEqual([])
    expect((await one.load({ cookie })).get('n')).toBe(200)
  }, 120_000)

  it('a compare-and-swap write that meets a concurrent change (40001) answers conflict at once, for update() to re-read', async () => {
    const table = await freshTable()
    const store = postgresStore({ client: client(), table, purgeIntervalMs: 0, conflictRetries: 0 })
    const record = testRecord({ data: { n: 0 } })
    await store.create(record, { ttl: HOUR })
    const holder = await pool.connect()
    try {
      await holder.query('BEGIN')
      await holder.query(`UPDATE "${table}" SET version = version + 1 WHERE id = $1`, [record.id])
      const write = store.patch(record.id, {
        set: { n: 1 },
        unset: [],
        ttl: HOUR,
        expectVersion: record.version,
      })
      write.catch(() => undefined)
      await waitForLockWaiter()
      await holder.query('COMMIT') // the waiting write's snapshot is now stale: 40001 under SERIALIZABLE
      expect(await write).toBe('conflict')
    } finally {
      holder.release()
    }
  })

  it('20 parallel logins under the cap leave exactly the cap: no SESSION_CONFLICT', async () => {
    const table = await freshTable()
    const store = postgresStore({
      client: client(),
      table,
      purgeIntervalMs: 0,
      statementTimeoutMs: 30_000,
    })
    const now = Date.now()
    const logins: SessionRecord[] = Array.from({ length: 20 }, (_, i) =>
      testRecord({ userId: 'crowd', createdAt: now + i, lastSeenAt: now + i }),
    )
    const results = await Promise.allSettled(
      logins.map((record) => store.create(record, { ttl: HOUR, maxPerUser: 3 })),
    )
    const failures = results.flatMap((r) =>
      r.status === 'rejected' ? [String((r.reason as { code?: unknown }).code)] : [],
    )
    expect(failures).toEqual([])
    expect(await store.listByUser('crowd')).toHaveLength(3)
    const evicted = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.evicted : []))
    expect(new Set(evicted).size).toBe(17)
  }, 60_000)
})
