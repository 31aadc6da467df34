// Round trips to PostgreSQL per request, counted on the wire: a read is one, a plain data write two (load, commit).
import pg from 'pg'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  migratePostgres,
  postgresStore,
  type PostgresClientLike,
} from '../../src/stores/postgres/index.ts'
import { testClock } from '../support/clock.ts'
import { countRoundTrips, type WireCounter } from '../support/postgres-wire.ts'
import { uniqueTable, usePostgres } from '../support/postgres.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const db = usePostgres({ max: 2 })
let wire: WireCounter

beforeAll(async () => {
  wire = await countRoundTrips(db.server.url)
})
afterAll(() => wire?.close())

/** A client of each kind, connected through the counting relay. */
const CLIENTS: Record<string, (url: string) => Promise<[PostgresClientLike, () => Promise<void>]>> =
  {
    'pg Pool': async (url) => {
      const pool = new pg.Pool({ connectionString: url, max: 4 })
      pool.on('error', () => undefined)
      return [pool, () => pool.end()]
    },
    'pg Client': async (url) => {
      const client = new pg.Client({ connectionString: url })
      client.on('error', () => undefined)
      await client.connect()
      return [client, () => client.end()]
    },
    'postgres.js': async (url) => {
      const sql = postgres(url, { max: 4, onnotice: () => undefined })
      return [sql, () => sql.end({ timeout: 1 })]
    },
  }

describe.each(Object.keys(CLIENTS))('round trips per request (%s)', (kind) => {
  it('a read is 1 round trip and a plain data write 2 (the load, then the commit), every time', async () => {
    const [client, close] = await (CLIENTS[kind] as (typeof CLIENTS)[string])(wire.url)
    const table = uniqueTable('trips')
    await migratePostgres({ client: db.pool, table }) // not through the relay
    const store = postgresStore({ client, table, purgeIntervalMs: 0 })
    try {
      const { sessions } = testSessions({ store, clock: testClock(Date.now()) })
      const first = await sessions.load()
      await first.login('reader')
      first.set('counter', 0)
      const cookie = cookiePair((await first.commit()).cookies[0])
      const read = async (): Promise<void> => {
        const session = await sessions.load({ cookie })
        expect(session.userId).toBe('reader')
        await session.commit()
      }
      let counter = 0
      const write = async (): Promise<void> => {
        const session = await sessions.load({ cookie })
        expect(session.get('counter')).toBe(counter)
        session.set('counter', (counter += 1))
        await session.commit()
      }
      const trips = async (request: () => Promise<void>): Promise<number> => {
        const before = wire.roundTrips()
        await request()
        return wire.roundTrips() - before
      }
      // The first of each may prepare its statements on the connection (postgres.js describes them first).
      await read()
      await write()
      for (let i = 0; i < 5; i++) {
        expect(await trips(read)).toBe(1)
        expect(await trips(write)).toBe(2)
      }
    } finally {
      await store.close()
      await close()
    }
  })
})
