// Options of hallpass/throttle and their validation (CONFIG_INVALID at construction).
import { configError } from '../errors.ts'
import { parseDuration, type Duration } from '../core/duration.ts'
import type { ThrottlePostgresClient, ThrottleRedisClient } from './limiters.ts'

export interface ThrottleOptions {
  /** Keep counters in Redis (ioredis or node-redis, standalone or Cluster) instead of memory. @default memory */
  redis?: ThrottleRedisClient
  /**
   * Keep counters in PostgreSQL instead, through a pg `Pool` (or `Client`), in the `hallpass_throttle` table that the
   * Postgres store's migration creates (`hallpass migrate --postgres URL`). @default memory
   */
  postgres?: ThrottlePostgresClient
  /** The schema of `hallpass_throttle`, when `postgres` is set: the one you migrated. @default 'public' */
  postgresSchema?: string
  /** Key prefix in Redis (in Postgres, of each counter's key). @default 'hp:throttle' */
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
  if (!Number.isInteger(n) || n < 1)
    configError(`throttle ${name} must be a positive integer (got ${JSON.stringify(value)})`)
  return n
}

/** A duration option in whole seconds (at least 1), or CONFIG_INVALID. */
export function seconds(name: string, value: Duration | undefined, fallback: Duration): number {
  const ms = parseDuration(value ?? fallback)
  if (ms === undefined)
    configError(`throttle ${name} must be a duration like '15m' (got ${JSON.stringify(value)})`)
  return Math.max(1, Math.ceil(ms / 1000))
}

/** The Postgres counter store from `postgres` and `postgresSchema`, or undefined; CONFIG_INVALID for a bad mix. */
export function postgresOption(
  options: ThrottleOptions,
): { client: ThrottlePostgresClient; schema: string } | undefined {
  const { postgres: client, postgresSchema: schema = 'public', redis } = options
  if (client === undefined) {
    if (options.postgresSchema !== undefined)
      configError('throttle postgresSchema needs postgres (a pg Pool) as well')
    return undefined
  }
  if (redis !== undefined) configError('throttle: give redis or postgres, not both')
  const pg = client as { query?: unknown; connect?: unknown }
  if (typeof pg.query !== 'function' || typeof pg.connect !== 'function')
    configError(
      'throttle postgres must be a pg Pool or Client (rate-limiter-flexible speaks pg only)',
    )
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    configError(
      `throttle postgresSchema must be a lowercase SQL identifier, got ${JSON.stringify(schema)}`,
    )
  return { client, schema }
}
