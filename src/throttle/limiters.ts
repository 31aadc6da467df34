// Builds the rate-limiter-flexible counters behind login throttling, on memory, a Redis client or a pg Pool.
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible'
import { HallpassError } from '../errors.ts'

/** An ioredis client/Cluster or a node-redis (v4+) client/cluster. */
export type ThrottleRedisClient = object

/** A pg `Pool` (or `Client`): rate-limiter-flexible's Postgres limiter speaks pg only. */
export type ThrottlePostgresClient = object

/** The table the counters live in: created by the Postgres store's migration (`hallpass migrate --postgres URL`). */
export const THROTTLE_TABLE = 'hallpass_throttle'

export interface LimiterSet {
  /** Failures per account within the account window (counted exactly, never rejects). */
  readonly accountFailures: RateLimiterAbstract
  /** Failures per IP within the IP window. */
  readonly ipFailures: RateLimiterAbstract
  /** Locks and backoff delays, keyed 'a:<account>' or 'i:<ip>'. */
  readonly locks: RateLimiterAbstract
}

export interface LimiterConfig {
  readonly redis: ThrottleRedisClient | undefined
  readonly postgres:
    { readonly client: ThrottlePostgresClient; readonly schema: string } | undefined
  readonly prefix: string
  readonly accountPoints: number
  readonly accountWindowSeconds: number
  readonly ipPoints: number
  readonly ipWindowSeconds: number
}

/** Three limiters sharing one backend. No insurance limiter: a store outage must never lift limits. */
export function createLimiters(config: LimiterConfig): LimiterSet {
  const make = (name: string, points: number, duration: number): RateLimiterAbstract => {
    const common = { keyPrefix: `${config.prefix}:${name}`, points, duration }
    if (config.postgres !== undefined) {
      const { client, schema } = config.postgres
      const storeType =
        typeof (client as { totalCount?: unknown }).totalCount === 'number' ? 'pool' : 'client'
      // The table exists already (the migration made it): nothing is created at runtime, so no request meets a missing table.
      const table = {
        storeClient: client,
        storeType,
        schemaName: schema,
        tableName: THROTTLE_TABLE,
        tableCreated: true,
      }
      return new RateLimiterPostgres({ ...common, ...table }, () => undefined)
    }
    if (config.redis === undefined) return new RateLimiterMemory(common)
    const useRedisPackage = !('status' in config.redis) // ioredis exposes `status`; node-redis does not
    return new RateLimiterRedis({ ...common, storeClient: config.redis, useRedisPackage })
  }
  return {
    accountFailures: make('acct', config.accountPoints, config.accountWindowSeconds),
    ipFailures: make('ip', config.ipPoints, config.ipWindowSeconds),
    locks: make('lock', 1, 0),
  }
}

/**
 * CONFIG_INVALID with the fix when a Postgres counter failed because its table is not there (a `postgresSchema`
 * or a database the migration never ran on: SQLSTATE 42P01 or 3F000); nothing for any other failure (an outage).
 */
export function throwIfNoTable(err: unknown, config: LimiterConfig): void {
  // The counter's error arrives as the cause of the throttle's STORE_UNAVAILABLE.
  const failure = err instanceof HallpassError && err.cause !== undefined ? err.cause : err
  const code = (failure as { code?: unknown } | null)?.code
  if (config.postgres === undefined || (code !== '42P01' && code !== '3F000')) return
  const { schema } = config.postgres
  const flag = schema === 'public' ? '' : ` --schema ${schema}`
  throw new HallpassError(
    'CONFIG_INVALID',
    `throttle: the table "${schema}".${THROTTLE_TABLE} does not exist: run hallpass migrate --postgres <URL>${flag} ` +
      '(it creates the throttle table beside the sessions table), or fix postgresSchema',
    { cause: err },
  )
}
