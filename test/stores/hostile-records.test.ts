// Property test: random and mutated records written raw into memory, SQLite and Redis never cause an untyped error or a 500.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { createClient, type RedisClientType } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HallpassError, type SessionEvent, type Sessions } from '../../src/index.ts'
import { withSession } from '../../src/adapters/node.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import type { Store } from '../../src/stores/types.ts'
import {
  hostileHash,
  hostileRow,
  mutatedRecord,
  writeHash,
  writeObject,
  writeRow,
} from '../support/hostile-records.ts'
import { startRedis, uniquePrefix, type RedisServer } from '../support/redis.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

/** Cases per store through the API; `npm run test:hostile` sets 100000. */
const RUNS = Number(process.env['HOSTILE_RUNS'] ?? 1000)
const HTTP_RUNS = Math.max(100, Math.floor(RUNS / 4))
const MAX_DATA_BYTES = 2048
const TIMEOUT = 120_000 + RUNS * 20

interface Target {
  readonly store: Store
  /** An arbitrary of writers: each replaces the victim's record with a hostile one (false: the store refused it). */
  readonly writes: fc.Arbitrary<{ label: string; write: () => Promise<boolean> }>
  /** Whether anything is still stored under the victim's id (raw, without the store's decoder). */
  exists(): Promise<boolean>
  close(): Promise<void>
}

let redis: RedisServer
let client: RedisClientType
beforeAll(async () => {
  redis = await startRedis()
  client = createClient({ url: redis.url })
  await client.connect()
})
afterAll(async () => {
  await client?.close()
  await redis?.stop()
})

const targets: Record<string, (id: () => string, now: number) => Promise<Target>> = {
  memory: async (id, now) => {
    const store = memoryStore()
    const valid = {
      id: '',
      userId: 'victim',
      data: { cart: ['book'] },
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + 3_600_000,
      persistent: false,
      version: 3,
      roles: ['user'],
    }
    return {
      store,
      writes: mutatedRecord(valid).map((record) => ({
        label: safeLabel(record),
        write: async () => {
          await store.destroy(id())
          return writeObject(store, {
            ...record,
            id: typeof record['id'] === 'string' && record['id'] !== '' ? record['id'] : id(),
          })
        },
      })),
      exists: async () => (await store.get(id())) !== null,
      close: () => store.close(),
    }
  },
  sqlite: async (id, now) => {
    const db = new Database(':memory:')
    const store = sqliteStore({ database: db })
    return {
      store,
      writes: hostileRow(now).map((row) => ({
        label: safeLabel(row),
        write: async () => writeRow(db, 'hallpass_sessions', id(), row, now + 60_000),
      })),
      exists: async () =>
        (
          db.prepare('SELECT count(*) AS n FROM hallpass_sessions WHERE id = ?').get(id()) as {
            n: number
          }
        ).n > 0,
      close: async () => {
        await store.close?.()
        db.close()
      },
    }
  },
  redis: async (id, now) => {
    const prefix = uniquePrefix('hostile')
    const store = redisStore({ client, prefix })
    const key = () => `${prefix}{${id().slice(0, 4)}}${id().slice(4)}`
    return {
      store,
      writes: hostileHash(now).map((hash) => ({
        label: safeLabel(hash),
        write: async () => (await writeHash(client, key(), hash), true),
      })),
      exists: async () => (await client.exists(key())) === 1,
      close: async () => undefined,
    }
  },
}

function safeLabel(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
    return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text
  } catch {
    return String(value)
  }
}

/** Rethrows anything but a typed error a handler can answer with a 4xx (STORE_UNAVAILABLE would be a 503 for bad data). */
function typedOnly(err: unknown): void {
  if (!(err instanceof HallpassError) || err.code === 'STORE_UNAVAILABLE') throw err
}

describe.each(Object.keys(targets))('hostile records in the %s store', (name) => {
  let target: Target
  let sessions: Sessions
  let events: SessionEvent[]
  let cookie: string
  let victim: string
  let server: Server
  let base: string

  beforeAll(async () => {
    const now = Date.now()
    const built = await targets[name]!(() => victim, now)
    target = built
    const made = testSessions({
      store: built.store,
      maxDataBytes: MAX_DATA_BYTES,
      clock: () => now + 1000,
    })
    sessions = made.sessions
    events = made.events
    const session = await sessions.load()
    await session.login('victim')
    session.set('cart', ['book'])
    cookie = cookiePair((await session.commit()).cookies[0])
    victim = session.id as string
    server = createServer(
      withSession(
        sessions,
        async (_req, s) => {
          s.get('cart')
          if (s.isAuthenticated) {
            try {
              await s.update((draft) => ({
                ...draft,
                visits: typeof draft['visits'] === 'number' ? draft['visits'] + 1 : 1,
              }))
            } catch (err) {
              typedOnly(err)
              return { status: 409, body: (err as HallpassError).code }
            }
          }
          return { body: 'ok' }
        },
        { csrf: false, onError: () => undefined },
      ),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise((resolve) => (server.closeAllConnections(), server.close(resolve)))
    await target.close()
  })

  it(
    `${RUNS} records: load, get, update and commit never throw an untyped error; a rejected record is deleted`,
    async () => {
      let written = 0
      await fc.assert(
        fc.asyncProperty(target.writes, async ({ write }) => {
          if (!(await write())) return
          written++
          events.length = 0
          const session = await sessions.load({ cookie, ip: '203.0.113.1' })
          session.get('cart')
          expect(typeof session.get('toString' as never)).not.toBe('function')
          if (session.isAuthenticated) {
            await session.update((draft) => ({ ...draft, visits: 1 })).catch(typedOnly)
            session.set('seen', true)
          }
          await session.commit().catch(typedOnly)
          if (events.some((e) => e.type === 'session.rejected' && e.reason === 'invalid_data'))
            expect(await target.exists()).toBe(false)
        }),
        { numRuns: RUNS },
      )
      expect(written).toBeGreaterThan(RUNS / 2)
      expect(Object.prototype).not.toHaveProperty('admin')
    },
    TIMEOUT,
  )

  it(
    `${HTTP_RUNS} records over HTTP: never a 500`,
    async () => {
      await fc.assert(
        fc.asyncProperty(target.writes, async ({ write }) => {
          if (!(await write())) return
          const res = await fetch(`${base}/`, { headers: { cookie } })
          await res.text()
          expect(res.status).toBeLessThan(500)
        }),
        { numRuns: HTTP_RUNS },
      )
    },
    TIMEOUT,
  )
})
