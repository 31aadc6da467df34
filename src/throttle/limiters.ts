// Builds the rate-limiter-flexible counters behind login throttling, on memory or on a Redis client.
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible'

/** An ioredis client/Cluster or a node-redis (v4+) client/cluster. */
export type ThrottleRedisClient = object

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
