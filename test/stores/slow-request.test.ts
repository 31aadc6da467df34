// #23.2 through the manager: a slow request that writes after another one touched the session never ends it early.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sessions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import type { Store } from '../../src/stores/types.ts'
import { startStandaloneClients, uniquePrefix, type StandaloneClients } from '../support/redis.ts'
import { RedisTime } from '../support/redis-time.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'
import { testClock, type TestClock } from '../support/clock.ts'

const SECOND = 1_000
const IDLE = 600 * SECOND

let redis: StandaloneClients | undefined
let redisTime: RedisTime | undefined

beforeAll(async () => {
  redis = await startStandaloneClients()
  redisTime = new RedisTime([redis.server.port])
})

afterAll(async () => {
  await redisTime?.close()
  await redis?.stop()
})

/** A store on the test's clock, and how to move that clock (Redis: by aging its keys as well). */
interface Setup {
  readonly store: Store
  readonly advance: (ms: number) => Promise<void>
}

/** The store reads the test clock itself: moving the clock is enough. */
const clockOnly = (clock: TestClock) => async (ms: number): Promise<void> => clock.advance(ms)

/** Redis keeps its own time: the keys age with the clock. */
function onRedis(clock: TestClock, client: 'nodeRedis' | 'ioredis'): Setup {
  if (!redis || !redisTime) throw new Error('Redis was not started')
  const prefix = uniquePrefix()
  const time = redisTime
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms)
    await time.advance(prefix, ms)
  }
  return { store: redisStore({ client: redis[client], prefix }), advance }
}

const STORES: Record<string, (clock: TestClock) => Setup> = {
  memory: (clock) => ({ store: memoryStore({ clock }), advance: clockOnly(clock) }),
  sqlite: (clock) => ({ store: sqliteStore({ database: ':memory:', clock }), advance: clockOnly(clock) }),
  'redis (node-redis)': (clock) => onRedis(clock, 'nodeRedis'),
  'redis (ioredis)': (clock) => onRedis(clock, 'ioredis'),
}

/** When each request runs, in seconds after T0 (the login): L loads, S touches, L writes. */
const TIMELINES = [
  { name: 'a write right after a touch', lLoads: 59, sTouches: 61, lWrites: 64 },
  { name: 'a long upload: its TTL would drop from 600 s to 2 s', lLoads: 30, sTouches: 597, lWrites: 598 },
]

describe.each(Object.keys(STORES))('a slow request cannot end the session early (%s)', (name) => {
  it.each(TIMELINES)('$name', async ({ lLoads, sTouches, lWrites }) => {
    const clock = testClock()
    const { store, advance } = (STORES[name] as (clock: TestClock) => Setup)(clock)
    const options = { store, clock, idleTimeout: '10m', touchInterval: '60s', absoluteTimeout: '24h' } as const
    const { sessions } = testSessions(options)
    const T0 = clock()
    const at = async (second: number): Promise<void> => advance(T0 + second * SECOND - clock())
    try {
      const login = await sessions.load()
      await login.login('alice')
      const cookie = cookiePair((await login.commit()).cookies[0])

      await at(lLoads)
      const slow = await sessions.load({ cookie })
      await at(sTouches)
      const touching = await sessions.load({ cookie })
      expect(touching.needsWrite).toBe(true) // the touch interval has passed: S writes lastSeenAt
      await touching.commit()
      await at(lWrites)
      slow.set('upload', 'done')
      await slow.commit()

      // L's own view ended the session at T0+601 s; S's touch keeps it to T0+sTouches+600 s.
      await at(601)
      expect(await signedIn(sessions, cookie)).toBe(true)
      await at(sTouches + 599)
      const late = await sessions.load({ cookie })
      expect([late.userId, late.get('upload')]).toEqual(['alice', 'done'])
      await at(sTouches + 600)
      expect(await signedIn(sessions, cookie)).toBe(false)
    } finally {
      await store.close?.()
    }
  })
})

/** Loads the session without committing (a touch would move the deadline this test checks). */
async function signedIn(sessions: Sessions, cookie: string): Promise<boolean> {
  return (await sessions.load({ cookie })).isAuthenticated
}
