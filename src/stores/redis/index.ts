// hallpass/stores/redis: sessions in Redis, Redis Sentinel or Redis Cluster through node-redis or ioredis.
import { checkOptionKeys, configError } from '../../errors.ts'
import { millisecondsOption } from '../milliseconds.ts'
import type { Store } from '../types.ts'
import { RedisDriver, type RedisClientLike } from './client.ts'
import { DEFAULT_PREFIX } from './codec.ts'
import { durabilityOption, type DurabilityOptions } from './durability.ts'
import { RedisStore } from './store.ts'

export type {
  IoRedisLike,
  NodeRedisClientLike,
  NodeRedisClusterLike,
  NodeRedisSentinelLike,
  RedisClientLike,
} from './client.ts'
export type { DurabilityOptions } from './durability.ts'

const OPTIONS = ['client', 'prefix', 'commandTimeoutMs', 'durability']

/** Options for `redisStore`. */
export interface RedisStoreOptions {
  /**
   * A connected node-redis v5 or v6 client (`createClient`), cluster (`createCluster`) or Sentinel client
   * (`createSentinel`), or an ioredis `Redis` (one server, or a primary through `sentinels`) or `Cluster`. The app owns it: the store never connects or quits it. The store adds an `error` listener so a
   * dropped connection is reported as `STORE_UNAVAILABLE` instead of crashing the process.
   */
  client: RedisClientLike
  /** Prepended to every key. Keep it for hallpass alone: anything under it may be deleted as corrupt. @default 'hp:' */
  prefix?: string
  /** Milliseconds before a command counts as failed (`STORE_UNAVAILABLE`). @default 1000 */
  commandTimeoutMs?: number
  /**
   * For Redis with replicas (Sentinel, Cluster): acknowledge the writes that protect users (login, rotation,
   * logout, revocation, the session cap, device binding) only once `replicas` replicas have them (`WAIT`), and
   * fail them closed (`STORE_UNAVAILABLE`) otherwise, so a failover cannot undo a logout. Data writes and touches
   * do not wait. See docs/redis.md, "High availability". @default undefined (off: Redis acknowledges at once)
   * @example `redisStore({ client, durability: { replicas: 1, timeoutMs: 500 } })`
   */
  durability?: DurabilityOptions
}

/**
 * A Store on Redis: a load is one `HGETALL`, a commit is one atomic script (`EVALSHA`), and a user's sessions
 * and their index share one Redis Cluster hash slot. See docs/redis.md for the key layout and consistency model.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { createSessions } from 'hallpass'
 * import { redisStore } from 'hallpass/stores/redis'
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const sessions = createSessions({ secret: process.env.SESSION_SECRET!, store: redisStore({ client }) })
 * ```
 */
export function redisStore(options: RedisStoreOptions): Store & { close(): Promise<void> } {
  if (typeof options !== 'object' || options === null)
    configError('redisStore needs an options object: redisStore({ client })')
  checkOptionKeys('redisStore', options, OPTIONS)
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string' || /[{}]/.test(prefix) || prefix.length > 64) {
    configError(
      'redisStore prefix must be a string of at most 64 characters without "{" or "}" (braces would change the Cluster hash slot)',
    )
  }
  const timeout = millisecondsOption('redisStore', options, 'commandTimeoutMs', 1000, 1, 60_000)
  const driver = new RedisDriver(options.client, timeout)
  try {
    return new RedisStore(driver, prefix, durabilityOption(options.durability, driver, timeout))
  } catch (err) {
    driver.release()
    throw err
  }
}
