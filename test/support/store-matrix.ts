// The manager's stores on one test clock: memory, SQLite and Redis (node-redis and ioredis), for store-matrix tests.
import { afterAll, beforeAll } from 'vitest'
import { memoryStore } from '../../src/stores/memory.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import type { Store } from '../../src/stores/types.ts'
import type { TestClock } from './clock.ts'
import { startStandaloneClients, uniquePrefix, type StandaloneClients } from './redis.ts'
import { RedisTime } from './redis-time.ts'

/** A store that reads the test clock, and how to move that clock (Redis: by aging its keys as well). */
export interface ClockedStore {
  readonly store: Store
  readonly advance: (ms: number) => Promise<void>
}

export type StoreFactory = (clock: TestClock) => ClockedStore

/**
 * Starts a standalone redis-server for this test file (beforeAll, stopped afterAll) and returns a factory per store,
 * by name. Call it at the top level of the test file.
 */
export function storeMatrix(): Readonly<Record<string, StoreFactory>> {
  let redis: StandaloneClients | undefined
  let time: RedisTime | undefined
  beforeAll(async () => {
    redis = await startStandaloneClients()
    time = new RedisTime([redis.server.port])
  })
  afterAll(async () => {
    await time?.close()
    await redis?.stop()
  })
  const clockOnly =
    (clock: TestClock) =>
    async (ms: number): Promise<void> =>
      clock.advance(ms)
  const onRedis = (clock: TestClock, client: 'nodeRedis' | 'ioredis'): ClockedStore => {
    if (!redis || !time) throw new Error('Redis was not started')
    const prefix = uniquePrefix()
    const keys = time
    const advance = async (ms: number): Promise<void> => {
      clock.advance(ms)
      await keys.advance(prefix, ms)
    }
    return { store: redisStore({ client: redis[client], prefix }), advance }
  }
  return {
    memory: (clock) => ({ store: memoryStore({ clock }), advance: clockOnly(clock) }),
    sqlite: (clock) => ({
      store: sqliteStore({ database: ':memory:', clock }),
      advance: clockOnly(clock),
    }),
    'redis (node-redis)': (clock) => onRedis(clock, 'nodeRedis'),
    'redis (ioredis)': (clock) => onRedis(clock, 'ioredis'),
  }
}
