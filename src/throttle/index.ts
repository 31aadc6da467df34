// hallpass/throttle: login throttling per account and per IP, counted before the password is checked; fails closed.
import { createHmac } from '../crypto/node-crypto.ts'
import { RateLimiterRes } from 'rate-limiter-flexible'
import { keyRingOf, type Sessions } from '../core/manager.ts'
import { HallpassError } from '../errors.ts'
import { storeUnavailable } from '../fail-closed.ts'
import type { SessionData } from '../core/types.ts'
import { count, postgresOption, seconds, type ThrottleOptions } from './config.ts'
import { createLimiters, throwIfNoTable, type LimiterConfig, type LimiterSet } from './limiters.ts'

export type { ThrottleOptions } from './config.ts'
export type { ThrottlePostgresClient, ThrottleRedisClient } from './limiters.ts'

/** The outcome of `check`: allowed, or blocked with the seconds to wait. */
export type ThrottleVerdict =
  | { readonly allowed: true }
  | {
      readonly allowed: false
      readonly scope: 'account' | 'ip' | 'unavailable'
      readonly retryAfter: number
    }

/**
 * The outcome of `attempt`: the value `verify` returned, or why there is none. `invalid` means the
 * credentials were checked and were wrong; `locked` (the account), `throttled` (the IP) and `unavailable`
 * (the counter store) mean they were never checked.
 */
export type AttemptResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: 'invalid' }
  | {
      readonly ok: false
      readonly reason: 'locked' | 'throttled' | 'unavailable'
      readonly retryAfter: number
    }

export interface LoginAttempt {
  /** The account identifier as typed (email or username); normalized and hashed before use. */
  readonly account: string
  readonly ip: string | undefined
}

const ALLOWED: ThrottleVerdict = { allowed: true }
const REASON = { account: 'locked', ip: 'throttled', unavailable: 'unavailable' } as const

/**
 * Creates a login throttle. `attempt` counts the guess atomically before it runs `verify`, so within a
 * window at most `maxFailuresPerAccount` wrong guesses are checked per account (and `maxFailuresPerIp`
 * per IP), however many requests run at once.
 *
 * @throws CONFIG_INVALID for a non-positive count or a bad duration.
 * @example
 * ```ts
 * import { createLoginThrottle } from 'hallpass/throttle'
 * const throttle = createLoginThrottle(sessions, { redis: client })
 * const result = await throttle.attempt({ account: email, ip }, async () => {
 *   const user = await users.find(email)
 *   return user && (await argon2.verify(user.hash, password)) ? user : null
 * })
 * if (result.ok) await session.login(result.value.id)
 * ```
 */
export function createLoginThrottle(
  sessions: Sessions<SessionData>,
  options: ThrottleOptions = {},
): LoginThrottle {
  return new LoginThrottle(sessions, options)
}

export class LoginThrottle {
  private readonly limiters: LimiterSet
  private readonly limiterConfig: LimiterConfig
  private readonly hashKey: Buffer
  private readonly maxAccount: number
  private readonly maxIp: number
  private readonly lockoutSeconds: number
  private readonly backoffAfter: number
  private readonly timeoutMs: number
  private warnedNoIp = false

  /** @internal Use `createLoginThrottle()`. */
  constructor(
    private readonly sessions: Sessions<SessionData>,
    options: ThrottleOptions,
  ) {
    this.maxAccount = count('maxFailuresPerAccount', options.maxFailuresPerAccount, 5)
    this.maxIp = count('maxFailuresPerIp', options.maxFailuresPerIp, 50)
    this.backoffAfter = count('backoffAfter', options.backoffAfter, 3)
    this.lockoutSeconds = seconds('lockout', options.lockout, '15m')
    this.timeoutMs = seconds('timeout', options.timeout, '1s') * 1000
    const keys = keyRingOf(sessions).keys('throttle')
    this.hashKey = keys.byId.get(keys.currentId) as Buffer
    this.limiterConfig = {
      redis: options.redis,
      postgres: postgresOption(options),
      prefix: options.prefix ?? 'hp:throttle',
      accountPoints: this.maxAccount,
      accountWindowSeconds: seconds('accountWindow', options.accountWindow, '15m'),
      ipPoints: this.maxIp,
      ipWindowSeconds: seconds('ipWindow', options.ipWindow, '15m'),
    }
    this.limiters = createLimiters(this.limiterConfig)
  }

  /** A stable, non-reversible id for an account (used in events instead of the raw identifier). */
  accountHash(account: string): string {
    return createHmac('sha256', this.hashKey)
      .update(account.trim().normalize('NFKC').toLowerCase())
      .digest('base64url')
      .slice(0, 22)
  }

  /**
   * One login attempt: refuses a locked account or IP, takes one attempt from the account's and the IP's
   * budgets (atomically, in the counter store), and only then runs `verify`. A truthy result is a success:
   * its attempt is given back. A falsy one is a failure: it stays counted, and backoff or lockout follow.
   * If `verify` throws, the attempt stays counted and the error propagates. Fails closed.
   */
  async attempt<T>(
    attempt: LoginAttempt,
    verify: () => T | Promise<T>,
  ): Promise<AttemptResult<NonNullable<T>>> {
    const account = this.accountHash(attempt.account)
    const ip = attempt.ip || undefined
    if (ip === undefined) this.warnNoIp()
    const verdict = await this.checkHashed(account, ip)
    if (!verdict.allowed)
      return { ok: false, reason: REASON[verdict.scope], retryAfter: verdict.retryAfter }
    const taken = await this.take(account, ip)
    if (!taken.allowed)
      return { ok: false, reason: REASON[taken.scope], retryAfter: taken.retryAfter }
    const value = await verify()
    if (value !== null && value !== undefined && value !== false) {
      await this.giveBack(account, ip).catch(() => undefined)
      return { ok: true, value: value as NonNullable<T> }
    }
    this.sessions.emit({
      type: 'login.failed',
      accountHash: account,
      ...(ip !== undefined && { ip }),
    })
    await this.penalize(account, ip, taken.failures).catch(() => undefined)
    return { ok: false, reason: 'invalid' }
  }

  /** Is this account or IP locked or backing off right now? Reads only (for showing a page); fails closed. */
  check(attempt: LoginAttempt): Promise<ThrottleVerdict> {
    return this.checkHashed(this.accountHash(attempt.account), attempt.ip || undefined)
  }

  /**
   * Clears an account's failures and lock (an administrator unlocking it). The IP counts stay.
   * @throws STORE_UNAVAILABLE when the counter store fails or does not answer within `timeout`.
   */
  async reset(account: string): Promise<void> {
    const hash = this.accountHash(account)
    await this.bounded(
      Promise.all([
        this.limiters.accountFailures.delete(hash),
        this.limiters.locks.delete(`a:${hash}`),
      ]),
    )
  }

  /**
   * Attempts counted for an account in the current window (refused ones included, successes given back).
   * @throws STORE_UNAVAILABLE when the counter store fails or does not answer within `timeout`.
   */
  async failures(account: string): Promise<number> {
    const res = await this.bounded(this.limiters.accountFailures.get(this.accountHash(account)))
    return res?.consumedPoints ?? 0
  }

  /** Says once per throttle that an attempt without an IP has no per-IP budget (so a silent setup gap shows). */
  private warnNoIp(): void {
    if (this.warnedNoIp) return
    this.warnedNoIp = true
    console.warn(
      'hallpass/throttle: attempt() got no client IP, so only the per-account budget applies (no per-IP limit ' +
        'on password spraying). Pass the client address as `ip`. On Next.js and TanStack Start, `session.ip` is ' +
        'set only with trustProxy: true behind a proxy that sets X-Forwarded-For (docs/frameworks.md).',
    )
  }

  private async checkHashed(account: string, ip: string | undefined): Promise<ThrottleVerdict> {
    try {
      const [ipLock, accountLock] = await this.bounded(
        Promise.all([
          ip ? this.limiters.locks.get(`i:${ip}`) : null,
          this.limiters.locks.get(`a:${account}`),
        ]),
      )
      if (lockedFor(ipLock)) return this.blocked('ip', secondsLeft(ipLock), account, ip)
      if (lockedFor(accountLock))
        return this.blocked('account', secondsLeft(accountLock), account, ip)
      return ALLOWED
    } catch (err) {
      throwIfNoTable(err, this.limiterConfig)
      return this.blocked('unavailable', 1, account, ip)
    }
  }

  /** Consumes one point from the account and the IP budgets; if either refuses, the other is given back. */
  private async take(
    account: string,
    ip: string | undefined,
  ): Promise<ThrottleVerdict & { readonly failures?: number }> {
    const [byAccount, byIp] = await Promise.allSettled([
      this.bounded(this.limiters.accountFailures.consume(account)),
      ip ? this.bounded(this.limiters.ipFailures.consume(ip)) : Promise.resolve(null),
    ])
    if (byAccount.status === 'fulfilled' && byIp.status === 'fulfilled')
      return { allowed: true, failures: byAccount.value.consumedPoints }
    const refused = (r: PromiseSettledResult<unknown>): r is PromiseRejectedResult =>
      r.status === 'rejected' && r.reason instanceof RateLimiterRes
    if (
      (byAccount.status === 'rejected' && !refused(byAccount)) ||
      (byIp.status === 'rejected' && !refused(byIp))
    ) {
      for (const r of [byAccount, byIp])
        if (r.status === 'rejected') throwIfNoTable(r.reason, this.limiterConfig)
      return this.blocked('unavailable', 1, account, ip)
    }
    // Over budget: the scope that still had room gets its point back (no verification happens).
    if (byAccount.status === 'fulfilled')
      await this.bounded(this.limiters.accountFailures.reward(account)).catch(() => undefined)
    if (byIp.status === 'fulfilled' && ip)
      await this.bounded(this.limiters.ipFailures.reward(ip)).catch(() => undefined)
    if (byIp.status === 'rejected' && ip) {
      await this.bounded(this.limiters.locks.block(`i:${ip}`, this.lockoutSeconds)).catch(
        () => undefined,
      )
      return this.blocked('ip', this.lockoutSeconds, account, ip)
    }
    return this.blocked(
      'account',
      secondsLeft((byAccount as PromiseRejectedResult).reason as RateLimiterRes),
      account,
      ip,
    )
  }

  private async giveBack(account: string, ip: string | undefined): Promise<void> {
    await this.bounded(
      Promise.all([
        this.limiters.accountFailures.reward(account),
        ip ? this.limiters.ipFailures.reward(ip) : null,
      ]),
    )
  }

  /** After a wrong guess: the lock when the budget is spent, else a backoff delay once past `backoffAfter`. */
  private async penalize(account: string, ip: string | undefined, failures = 0): Promise<void> {
    if (failures >= this.maxAccount) {
      await this.bounded(this.limiters.locks.block(`a:${account}`, this.lockoutSeconds))
      this.blocked('account', this.lockoutSeconds, account, ip)
    } else if (failures > this.backoffAfter) {
      await this.bounded(
        this.limiters.locks.block(
          `a:${account}`,
          Math.min(2 ** (failures - this.backoffAfter - 1), this.lockoutSeconds),
        ),
      )
    }
  }

  private blocked(
    scope: 'account' | 'ip' | 'unavailable',
    retryAfter: number,
    accountHash: string,
    ip: string | undefined,
  ): ThrottleVerdict & { readonly allowed: false } {
    this.sessions.emit({
      type: 'login.locked',
      accountHash,
      scope,
      retryAfter,
      ...(ip !== undefined && { ip }),
    })
    return { allowed: false, scope, retryAfter }
  }

  /**
   * Bounds a counter-store call: past the timeout, or when the store fails, it rejects with STORE_UNAVAILABLE
   * (callers fail closed). A limiter's own refusal (RateLimiterRes) passes through unchanged.
   */
  private bounded<T>(call: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new HallpassError(
              'STORE_UNAVAILABLE',
              `the throttle store did not answer within ${this.timeoutMs} ms`,
            ),
          ),
        this.timeoutMs,
      )
    })
    return Promise.race([call, timeout])
      .catch((err: unknown) => {
        throw err instanceof RateLimiterRes ? err : storeUnavailable(err, 'the throttle store')
      })
      .finally(() => clearTimeout(timer))
  }
}

function lockedFor(res: RateLimiterRes | null): res is RateLimiterRes {
  return res !== null && res.consumedPoints > 1 && res.msBeforeNext !== 0
}

function secondsLeft(res: RateLimiterRes): number {
  return res.msBeforeNext < 0 ? 1 : Math.max(1, Math.ceil(res.msBeforeNext / 1000))
}
