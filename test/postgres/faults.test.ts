// Database trouble fails closed and recovers: a server that goes away and comes back, a full pool, a statement slower
// than the deadline. Each is STORE_UNAVAILABLE, never a hang, and the same store object works again afterwards.
import pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PostgresClientLike, PostgresStore } from '../../src/stores/postgres/index.ts'
import type { SessionRecord } from '../../src/stores/types.ts'
import { testRecord } from '../../src/testing/index.ts'
import {
  connectRowLocks,
  freshStore,
  POSTGRES_DRIVERS,
  startPostgres,
  testStore,
  type PostgresServer,
  type RowLocks,
} from '../support/postgres.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const HOUR = 3_600_000
const UNAVAILABLE = { code: 'STORE_UNAVAILABLE' }
let server: PostgresServer

beforeAll(async () => {
  server = await startPostgres()
})
afterAll(() => server?.stop())

/**
 * A store with the deadline under test, and `setup`, a store on the same table with a wide one for writing the
 * records a case starts from (on a busy machine a setup step must not trip the short deadline). The setup's first
 * write also checks the schema version for both, so the store under test sends only the statement under test.
 */
async function storeOn(
  client: PostgresClientLike,
  statementTimeoutMs: number,
): Promise<{ store: PostgresStore; setup: PostgresStore; table: string }> {
  const { store: setup, table } = await freshStore(client)
  return { store: testStore(client, table, { statementTimeoutMs }), setup, table }
}

describe.each(POSTGRES_DRIVERS)('the server goes away and comes back (%s)', (kind) => {
  it('answers STORE_UNAVAILABLE (the manager too) while it is down, then works again with the same objects', async () => {
    const pool = new pg.Pool({
      connectionString: server.url,
      max: 4,
      connectionTimeoutMillis: 5_000,
    })
    const sql = postgres(server.url, { max: 4, onnotice: () => undefined, connect_timeout: 5 })
    const client: PostgresClientLike = kind === 'pg Pool' ? pool : sql
    try {
      const { store } = await storeOn(client, 5_000)
      const { sessions } = testSessions({ store })
      const first = await sessions.load()
      await first.login('outage')
      first.set('n', 1)
      const cookie = cookiePair((await first.commit()).cookies[0])

      await server.halt() // fast shutdown: every open connection is dropped
      await expect(sessions.load({ cookie })).rejects.toMatchObject(UNAVAILABLE)
      await expect(
        store.patch('0000aaaaaaaaaaaaaaaaaaaaaa', { set: { a: 1 }, unset: [], ttl: HOUR }),
      ).rejects.toMatchObject(UNAVAILABLE)
      await expect(store.ping?.()).rejects.toMatchObject(UNAVAILABLE)

      await server.start() // same port, same data
      // Recovery without a restart: postgres.js may still hand one query a connection attempt it began while the
      // server was down (ECONNREFUSED, so STORE_UNAVAILABLE); the same objects then work again.
      await expect
        .poll(
          () =>
            sessions.load({ cookie }).then(
              (s) => s.userId,
              () => 'unavailable',
            ),
          { timeout: 10_000 },
        )
        .toBe('outage')
      const again = await sessions.load({ cookie })
      expect(again.userId).toBe('outage')
      expect(again.get('n')).toBe(1)
      again.set('n', 2)
      await again.commit()
      expect((await sessions.load({ cookie })).get('n')).toBe(2)
    } finally {
      await Promise.allSettled([pool.end(), sql.end({ timeout: 1 })])
    }
  }, 60_000)
})

describe('a full pool', () => {
  it('pg Pool: a statement that gets no connection in time is STORE_UNAVAILABLE, and it is never sent later', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 1 })
    try {
      const { store, setup } = await storeOn(pool, 200)
      const record = testRecord()
      await setup.create(record, { ttl: HOUR })
      const held = await pool.connect() // the app holds the only connection
      await expect(
        store.patch(record.id, { set: { late: true }, unset: [], ttl: HOUR }),
      ).rejects.toMatchObject(UNAVAILABLE)
      held.release()
      // Waiters are served in order: once this read is answered, the abandoned patch would have run before it.
      expect(await setup.get(record.id)).toMatchObject({ version: 1, data: {} })
    } finally {
      await pool.end()
    }
  })

  it('postgres.js: a queued statement past its deadline is taken out of the queue and never sent', async () => {
    const sql = postgres(server.url, { max: 1, onnotice: () => undefined })
    try {
      const { store, setup } = await storeOn(sql, 200)
      const record = testRecord()
      await setup.create(record, { ttl: HOUR })
      const held = await sql.reserve()
      await expect(
        store.patch(record.id, { set: { late: true }, unset: [], ttl: HOUR }),
      ).rejects.toMatchObject(UNAVAILABLE)
      held.release()
      expect(await setup.get(record.id)).toMatchObject({ version: 1, data: {} })
    } finally {
      await sql.end({ timeout: 1 })
    }
  })
})

describe('a statement slower than the deadline', () => {
  let locks: RowLocks
  beforeAll(async () => {
    locks = await connectRowLocks(server.url)
  })
  afterAll(() => locks?.close())

  /** Holds the row's lock while `write` runs against the store (and, given `settled`, until it resolves); lets go. */
  async function blocked(
    table: string,
    id: string,
    write: () => Promise<unknown>,
    settled?: () => Promise<void>,
  ): Promise<unknown> {
    await locks.lock(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [id])
    try {
      const outcome = await write().then(
        () => 'resolved',
        (err: unknown) => err,
      )
      await settled?.()
      return outcome
    } finally {
      await locks.commit()
    }
  }

  const patch = (store: PostgresStore, id: string) => (): Promise<unknown> =>
    store.patch(id, { set: { late: true }, unset: [], ttl: HOUR })

  it('postgres.js: STORE_UNAVAILABLE at the deadline, and the statement is cancelled on the server (nothing written)', async () => {
    const sql = postgres(server.url, { max: 2, onnotice: () => undefined })
    try {
      const { store, setup, table } = await storeOn(sql, 300)
      const record = testRecord()
      await setup.create(record, { ttl: HOUR })
      // The lock is held until the cancelled statement has left the server: it never waits its turn and runs.
      expect(
        await blocked(table, record.id, patch(store, record.id), () => locks.noLockWaiters()),
      ).toMatchObject(UNAVAILABLE)
      expect(await setup.get(record.id)).toMatchObject({ version: 1, data: {} })
    } finally {
      await sql.end({ timeout: 1 })
    }
  })

  it('pg Pool with statement_timeout (as docs/postgres.md advises): STORE_UNAVAILABLE, nothing written', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2, statement_timeout: 200 })
    try {
      const { store, setup, table } = await storeOn(pool, 5_000)
      const record = testRecord()
      await setup.create(record, { ttl: HOUR })
      expect(await blocked(table, record.id, patch(store, record.id))).toMatchObject(UNAVAILABLE)
      expect(await setup.get(record.id)).toMatchObject({ version: 1, data: {} })
    } finally {
      await pool.end()
    }
  })

  it('pg Pool without it: STORE_UNAVAILABLE at the deadline; the write then lands whole or not at all, and the pool works on', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 })
    try {
      const { store, setup, table } = await storeOn(pool, 300)
      const record = testRecord({ data: { a: 1 } })
      await setup.create(record, { ttl: HOUR })
      expect(
        await blocked(table, record.id, () =>
          store.patch(record.id, { set: { b: 2 }, unset: ['a'], ttl: HOUR }),
        ),
      ).toMatchObject(UNAVAILABLE)
      const after = (await setup.get(record.id)) as SessionRecord
      expect([
        JSON.stringify({ v: 1, data: { a: 1 } }),
        JSON.stringify({ v: 2, data: { b: 2 } }),
      ]).toContain(JSON.stringify({ v: after.version, data: after.data }))
      expect(await setup.patch(record.id, { set: { c: 3 }, unset: [], ttl: HOUR })).toBe('ok')
    } finally {
      await pool.end()
    }
  })

  it('a capped login (a transaction) past its deadline is rolled back whole: no new session, nothing evicted', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 })
    try {
      const { store, setup, table } = await storeOn(pool, 300)
      const existing = testRecord({ userId: 'capped-slow' })
      await setup.create(existing, { ttl: HOUR })
      const login = testRecord({ userId: 'capped-slow' })
      const outcome = await blocked(table, existing.id, () =>
        store.create(login, { ttl: HOUR, maxPerUser: 1 }),
      )
      expect(outcome).toMatchObject(UNAVAILABLE)
      expect((await setup.listByUser('capped-slow')).map((r) => r.id)).toEqual([existing.id])
    } finally {
      await pool.end()
    }
  })
})
