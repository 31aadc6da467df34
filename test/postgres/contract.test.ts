// The shared Store contract on a real PostgreSQL server (pg Pool, pg Client, postgres.js) and on PGlite.
import type { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll } from 'vitest'
import {
  migratePostgres,
  postgresStore,
  type PostgresClientLike,
} from '../../src/stores/postgres/index.ts'
import { testStore } from '../../src/testing/index.ts'
import { testClock } from '../support/clock.ts'
import {
  connectClients,
  openPglite,
  startPostgres,
  uniqueTable,
  type PostgresClients,
} from '../support/postgres.ts'

let clients: PostgresClients | undefined
let lite: PGlite | undefined

beforeAll(async () => {
  const [server, db] = await Promise.all([startPostgres(), openPglite()])
  clients = await connectClients(server)
  lite = db
})

afterAll(async () => {
  await clients?.close()
  await clients?.server.stop()
  await lite?.close()
})

const CLIENTS: Record<string, () => PostgresClientLike> = {
  'pg Pool': () => clients!.pool,
  'pg Client': () => clients!.client,
  'postgres.js': () => clients!.sql,
  PGlite: () => lite!,
}

for (const [kind, client] of Object.entries(CLIENTS)) {
  // The pg Pool runs on the database's own clock (TTL cases wait in real time); the others on an injected one.
  const injected = kind !== 'pg Pool'
  testStore(`postgres, ${kind}${injected ? ', injected clock' : ''}`, async () => {
    const table = uniqueTable()
    await migratePostgres({ client: client(), table })
    const clock = injected ? testClock(Date.now()) : undefined
    // A generous deadline: the 1,000-patch case queues its writes behind one row lock.
    const store = postgresStore({
      client: client(),
      table,
      purgeIntervalMs: 0,
      statementTimeoutMs: 30_000,
      ...(clock && { clock }),
    })
    return {
      store,
      ...(clock && { advance: (ms: number) => clock.advance(ms) }),
      cleanup: () => store.close(),
    }
  })
}
