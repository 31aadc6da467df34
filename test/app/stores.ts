// Runs an app test suite once per session store: SQLite (in memory), a real redis-server and a real PostgreSQL.
import { afterAll, beforeAll, describe } from 'vitest'
import { startPostgres, type PostgresServer } from '../support/postgres.ts'
import { startRedis, type RedisServer } from '../support/redis.ts'
import { startApp, type AppUnderTest, type StartOptions } from './harness.ts'

export type StoreKind = 'sqlite' | 'redis' | 'postgres'

export interface Running {
  readonly app: AppUnderTest
  readonly kind: StoreKind
  /** The Redis server of the redis variant. */
  readonly redis: RedisServer | undefined
  /** The PostgreSQL server of the postgres variant. */
  readonly postgres?: PostgresServer | undefined
}

/** `describe(title)` on each store, with a started app; `run()` gives it to the tests. */
export function describeOnStores(
  title: string,
  options: StartOptions,
  body: (run: () => Running) => void,
): void {
  describe.each(['sqlite', 'redis', 'postgres'] as const)(`${title} (%s)`, (kind) => {
    let running: Running | undefined
    beforeAll(async () => {
      const redis = kind === 'redis' ? await startRedis() : undefined
      const postgres = kind === 'postgres' ? await startPostgres() : undefined
      const env = {
        ...options.env,
        ...(redis && { REDIS_URL: redis.url }),
        ...(postgres && { POSTGRES_URL: postgres.url }),
      }
      running = { app: await startApp({ ...options, env }), kind, redis, postgres }
    })
    afterAll(async () => {
      await running?.app.close()
      await running?.redis?.stop()
      await running?.postgres?.stop()
    })
    body(() => {
      if (!running) throw new Error('the app did not start')
      return running
    })
  })
}
