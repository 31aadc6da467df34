// hallpass/throttle: login throttling per account and per IP, with backoff, lockout and Retry-After; fails closed.
import { createHmac } from 'node:crypto'
import { RateLimiterRes } from 'rate-limiter-flexible'
import { configError } from '../errors.ts'
import { parseDuration, type Duration } from '../core/duration.ts'
import type { Sessions } from '../core/manager.ts'
import type { SessionData } from '../stores/types.ts'
import { createLimiters, type LimiterSet, type ThrottleRedisClient } from './limiters.ts'

export interface ThrottleOptions {
  /** Keep counters in Redis (ioredis or node-redis, standalone or Cluster) instead of memory. @default memory */
  redis?: ThrottleRedisClient
  /** Key prefix in Redis. @default 'hp:throttle' */
  prefix?: string
  /** Failed logins per account within `accountWindow` before the account locks. @default 5 */
  maxFailuresPerAccount?: number
  /** @default '15m' */
  accountWindow?: Duration
  /** Failed logins per IP within `ipWindow` before the IP is throttled. @default 50 */
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

/** The outcome of `check`/`failure`: allowed, or blocked with the seconds to wait. */
export type ThrottleVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly scope: 'account' | 'ip' | 'unavailable'; readonly retryAfter: number }

export interface LoginAttempt {
  /** The account identifier as typed (email or username); normalized and hashed before use. */
  readonly account: string
  readonly ip: string | undefined
}

const ALLOWED: ThrottleVerdict = { allowed: true }

/**
 * Creates a login throttle. Call `check` before verifying the password, then `failure` or `success`.
 *
 * @example
 * ```ts
 * import { createLoginThrottle } from 'hallpass/throttle'
 * const throttle = createLoginThrottle(sessions, { redis: client })
 * const verdict = await throttle.check({ account: email, ip })
 * if (!verdict.allowed) return tooManyAttempts(verdict.retryAfter)
 * if (!(await verifyPassword(email, password))) { await throttle.failure({ account: email, ip }); return invalid() }
 * await throttle.success({ account: email, ip })
 * ```
 */
export function createLoginThrottle(sessions: Sessions<SessionData>, options: ThrottleOptions = {}): LoginThrottle {
  return new LoginThrottle(sessions, options)
}

export class LoginThrottle {
  private readonly limiters: LimiterSet
  private readonly hashKey: Buffer
  private readonly maxAccount: number
  private readonly maxIp: number
  private readonly lockoutSeconds: number
  private readonly backoffAfter: number
  private readonly timeoutMs: number

  constructor(private readonly sessions: Sessions<SessionData>, options: ThrottleOptions) {
    this.maxAccount = count('maxFailuresPerAccount', options.maxFailuresPerAccount, 5)
    this.maxIp = count('maxFailuresPerIp', options.maxFailuresPerIp, 50)
    this.backoffAfter = count('backoffAfter', options.backoffAfter, 3)
    this.lockoutSeconds = seconds('lockout', options.lockout, '15m')
    this.timeoutMs = seconds('timeout', options.timeout, '1s') * 1000
    const keys = sessions.keys.keys('throttle')
    this.hashKey = keys.byId.get(keys.currentId) as Buffer
    this.limiters = createLimiters({
      redis: options.redis,
      prefix: options.prefix ?? 'hp:throttle',
      accountPoints: this.maxAccount,
      accountWindowSeconds: seconds('accountWindow', options.accountWindow, '15m'),
      ipPoints: this.maxIp,
      ipWindowSeconds: seconds('ipWindow', options.ipWindow, '15m'),
    })
  }

  /** A stable, non-reversible id for an account (used in events instead of the raw identifier). */
  accountHash(account: string): string {
    return createHmac('sha256', this.hashKey).update(account.trim().normalize('NFKC').toLowerCase()).digest('base64url').slice(0, 22)
  }

  /** Before verifying a password: is this account or IP locked or backing off? Fails closed. */
  async check(attempt: LoginAttempt): Promise<ThrottleVerdict> {
    const account = this.accountHash(attempt.account)
    try {
      const [ipLock, accountLock] = await this.guard(Promise.all([attempt.ip ? this.limiters.locks.get(`i:${attempt.ip}`) : null, this.limiters.locks.get(`a:${account}`)]))
      const blocked = lockedFor(ipLock) ? { scope: 'ip' as const, res: ipLock } : lockedFor(accountLock) ? { scope: 'account' as const, res: accountLock } : undefined
      if (!blocked) return ALLOWED
      return this.blocked(blocked.scope, secondsLeft(blocked.res), account, attempt.ip)
    } catch {
      return this.blocked('unavailable', 1, account, attempt.ip)
    }
  }

  /** After a failed password: counts it (atomically), applies backoff or lockout, and emits events. */
  async failure(attempt: LoginAttempt): Promise<ThrottleVerdict> {
    const account = this.accountHash(attempt.account)
    this.sessions.emit({ type: 'login.failed', accountHash: account, ...(attempt.ip !== undefined && { ip: attempt.ip }) })
    try {
      const [accountCount, ipCount] = await this.guard(
        Promise.all([this.limiters.accountFailures.penalty(account), attempt.ip ? this.limiters.ipFailures.penalty(attempt.ip) : null]),
      )
      if (ipCount && ipCount.consumedPoints > this.maxIp && attempt.ip) {
        await this.guard(this.limiters.locks.block(`i:${attempt.ip}`, this.lockoutSeconds))
        return this.blocked('ip', this.lockoutSeconds, account, attempt.ip)
      }
      const failures = accountCount.consumedPoints
      if (failures > this.maxAccount) {
        await this.guard(this.limiters.locks.block(`a:${account}`, this.lockoutSeconds))
        return this.blocked('account', this.lockoutSeconds, account, attempt.ip)
      }
      if (failures > this.backoffAfter) {
        const delay = Math.min(2 ** (failures - this.backoffAfter - 1), this.lockoutSeconds)
        await this.guard(this.limiters.locks.block(`a:${account}`, delay))
        return { allowed: false, scope: 'account', retryAfter: delay }
      }
      return ALLOWED
    } catch {
      return this.blocked('unavailable', 1, account, attempt.ip)
    }
  }

  /** After a successful login: clears the account's failures and lock (the IP count stays). */
  async success(attempt: LoginAttempt): Promise<void> {
    const account = this.accountHash(attempt.account)
    await this.guard(Promise.all([this.limiters.accountFailures.delete(account), this.limiters.locks.delete(`a:${account}`)])).catch(() => undefined)
  }

  /** Failures counted for an account in the current window. */
  async failures(account: string): Promise<number> {
    const res = await this.guard(this.limiters.accountFailures.get(this.accountHash(account)))
    return res?.consumedPoints ?? 0
  }

  private blocked(scope: 'account' | 'ip' | 'unavailable', retryAfter: number, accountHash: string, ip: string | undefined): ThrottleVerdict {
    this.sessions.emit({ type: 'login.locked', accountHash, scope, retryAfter, ...(ip !== undefined && { ip }) })
    return { allowed: false, scope, retryAfter }
  }

  /** Bounds a counter-store call: past the timeout it rejects, and callers fail closed. */
  private guard<T>(call: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('throttle store timed out')), this.timeoutMs)
    })
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer))
  }
}

function lockedFor(res: RateLimiterRes | null): res is RateLimiterRes {
  return res !== null && res.consumedPoints > 1 && res.msBeforeNext !== 0
}

function secondsLeft(res: RateLimiterRes): number {
  return res.msBeforeNext < 0 ? 1 : Math.max(1, Math.ceil(res.msBeforeNext / 1000))
}

function count(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback
  if (!Number.isInteger(n) || n < 1) configError(`throttle ${name} must be a positive integer (got ${JSON.stringify(value)})`)
  return n
}

function seconds(name: string, value: Duration | undefined, fallback: Duration): number {
  const ms = parseDuration(value ?? fallback)
  if (ms === undefined) configError(`throttle ${name} must be a duration like '15m' (got ${JSON.stringify(value)})`)
  return Math.max(1, Math.ceil(ms / 1000))
}
