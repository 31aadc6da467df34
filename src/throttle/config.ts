// Options of hallpass/throttle and their validation (CONFIG_INVALID at construction).
import { configError } from '../errors.ts'
import { parseDuration, type Duration } from '../core/duration.ts'
import type { ThrottleRedisClient } from './limiters.ts'

export interface ThrottleOptions {
  /** Keep counters in Redis (ioredis or node-redis, standalone or Cluster) instead of memory. @default memory */
  redis?: ThrottleRedisClient
  /** Key prefix in Redis. @default 'hp:throttle' */
  prefix?: string
  /** Wrong guesses checked per account within `accountWindow`; the account is then locked. @default 5 */
  maxFailuresPerAccount?: number
  /** @default '15m' */
  accountWindow?: Duration
  /** Wrong guesses checked per IP within `ipWindow`; the IP is then locked. @default 50 */
  maxFailuresPerIp?: number
  /** @default '15m' */
  ipWindow?: Duration
  /** How long a lock lasts. @default '15m' */
  lockout?: Duration
  /** Failures before exponential delays (1 s, 2 s, 4 s...) start. @default 3 */
  backoffAfter?: number
  /** Longest wait for the counter store before failing closed. @default '1s' */
  timeout?: Duration
}

/** A positive integer option, or CONFIG_INVALID. */
export function count(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback
  if (!Number.isInteger(n) || n < 1) configError(`throttle ${name} must be a positive integer (got ${JSON.stringify(value)})`)
  return n
}

/** A duration option in whole seconds (at least 1), or CONFIG_INVALID. */
export function seconds(name: string, value: Duration | undefined, fallback: Duration): number {
  const ms = parseDuration(value ?? fallback)
  if (ms === undefined) configError(`throttle ${name} must be a duration like '15m' (got ${JSON.stringify(value)})`)
  return Math.max(1, Math.ceil(ms / 1000))
}
