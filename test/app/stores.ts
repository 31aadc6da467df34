// Runs an app test suite once per session store: SQLite (in memory) and a real redis-server.
import { afterAll, beforeAll, describe } from 'vitest'
import { startRedis, type RedisServer } from '../support/redis.ts'
import { startApp, type AppUnderTest, type StartOptions } from './harness.ts'

export type StoreKind = 'sqlite' | 'redis'

export interface Running {
  readonly app: AppUnderTest
  readonly kind: StoreKind
  /** The Redis server of the redis variant. */
  readonly redis: RedisServer | undefined
}

/** `describe(title)` on each store, with a started app; `run()` gives it to the tests. */
export function describeOnStores(title: string, options: StartOptions, body: (run: () => Running) => void): void {
  describe.each(['sqlite', 'redis'] as const)(`${title} (%s)`, (kind) => {
    let running: Running | undefined
    beforeAll(async () => {
      const redis = kind === 'redis' ? await startRedis() : undefined
      const env = { ...options.env, ...(redis && { REDIS_URL: redis.url }) }
      running = { app: await startApp({ ...options, env }), kind, redis }
    })
    afterAll(async () => {
      await running?.app.close()
      await running?.redis?.stop()
    })
    body(() => {
      if (!running) throw new Error('the app did not start')
      return running
    })
  })
}
