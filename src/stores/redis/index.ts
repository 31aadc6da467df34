// hallpass/stores/redis: sessions in Redis or Redis Cluster through node-redis v5 or ioredis, one round trip per request.
import { configError } from '../../errors.ts'
import { millisecondsOption } from '../milliseconds.ts'
import type { Store } from '../types.ts'
import { RedisDriver, type RedisClientLike } from './client.ts'
import { DEFAULT_PREFIX } from './codec.ts'
import { RedisStore } from './store.ts'

export type {
  IoRedisLike,
  NodeRedisClientLike,
  NodeRedisClusterLike,
  RedisClientLike,
} from './client.ts'

/** Options for `redisStore`. */
export interface RedisStoreOptions {
  /**
   * A connected node-redis v5 client (`createClient`) or cluster (`createCluster`), or an ioredis `Redis` or
   * `Cluster`. The app owns it: the store never connects or quits it. The store adds an `error` listener so a
   * dropped connection is reported as `STORE_UNAVAILABLE` instead of crashing the process.
   */
  client: RedisClientLike
  /** Prepended to every key. Keep it for hallpass alone: anything under it may be deleted as corrupt. @default 'hp:' */
  prefix?: string
  /** Milliseconds before a command counts as failed (`STORE_UNAVAILABLE`). @default 1000 */
  commandTimeoutMs?: number
  /**
   * Store each session's User-Agent in its short form (field `b`, about 13 bytes for a desktop Chrome instead of 111).
   * Versions before it read `b` as corrupt and delete the session: when upgrading a running fleet (rolling deploy,
   * or a rollback to keep possible), deploy with `false` first and turn it on once every process runs this version.
   * Reading understands both forms either way. @default true
   */
  shortUserAgents?: boolean
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
  for (const key of Object.keys(options)) {
    if (!['client', 'prefix', 'commandTimeoutMs', 'shortUserAgents'].includes(key))
      configError(
        `redisStore: unknown option "${key}"; known options are client, prefix, commandTimeoutMs, shortUserAgents`,
      )
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string' || /[{}]/.test(prefix) || prefix.length > 64) {
    configError(
      'redisStore prefix must be a string of at most 64 characters without "{" or "}" (braces would change the Cluster hash slot)',
    )
  }
  const timeout = millisecondsOption('redisStore', options, 'commandTimeoutMs', 1000, 1, 60_000)
  const shortUserAgents = options.shortUserAgents ?? true
  if (typeof shortUserAgents !== 'boolean')
    configError('redisStore shortUserAgents must be true or false')
  return new RedisStore(new RedisDriver(options.client, timeout), prefix, shortUserAgents)
}
