// Login throttling on the memory backend: backoff, lockout, IP spraying, refunds and expiry on a controlled clock.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLoginThrottle } from '../../src/throttle/index.ts'
import { testSessions } from '../support/sessions.ts'

afterEach(() => void vi.useRealTimers())

const wrong = () => false
const right = () => ({ id: 'u1' })

describe('login throttle', () => {
  it('says once, in the log, that attempts without an IP have no per-IP budget', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    try {
      const throttle = createLoginThrottle(testSessions().sessions, { maxFailuresPerIp: 2 })
      await throttle.attempt({ account: 'a@example.com', ip: '203.0.113.9' }, wrong)
      expect(warn).not.toHaveBeenCalled()
      // What `ip: session.ip` passes on Next.js or TanStack Start without trustProxy: the IP budget never runs out.
      for (let i = 0; i < 3; i++)
        await throttle.attempt({ account: `user${i}@example.com`, ip: undefined }, wrong)
      expect(
        await throttle.attempt({ account: 'user9@example.com', ip: undefined }, wrong),
      ).toEqual({ ok: false, reason: 'invalid' })
      expect(warn).toHaveBeenCalledTimes(1)
      expect(String(warn.mock.calls[0]?.[0])).toMatch(
        /no client IP.*per-account budget.*trustProxy/,
      )
    } finally {
      warn.mockRestore()
    }
  })

  it('events name the account by hash only', async () => {
    const { sessions, events } = testSessions()
    const throttle = createLoginThrottle(sessions, { maxFailuresPerAccount: 5, backoffAfter: 10 })
    for (let i = 0; i < 7; i++)
      await throttle.attempt({ account: 'victim@example.com', ip: `198.51.100.${i}` }, wrong)
    expect(await throttle.failures('Victim@Example.com ')).toBe(5)
    expect(events.filter((e) => e.type === 'login.failed')).toHaveLength(5)
    expect(events.some((e) => e.type === 'login.locked' && e.scope === 'account')).toBe(true)
    expect(JSON.stringify(events)).not.toContain('victim@example.com')
  })

  it('backs off exponentially before the lock, then locks with Retry-After', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, {
      maxFailuresPerAccount: 5,
      backoffAfter: 2,
      lockout: '15m',
    })
    const attempt = { account: 'bob', ip: '203.0.113.7' }
    const delays: number[] = []
    for (let i = 0; i < 5; i++) {
      expect(await throttle.attempt(attempt, wrong)).toEqual({ ok: false, reason: 'invalid' })
      const verdict = await throttle.check(attempt)
      delays.push(verdict.allowed ? 0 : verdict.retryAfter)
      if (!verdict.allowed) vi.advanceTimersByTime(verdict.retryAfter * 1000 + 1)
    }
    expect(delays).toEqual([0, 0, 1, 2, 900])
  })

  it('a guess during backoff is refused without being checked', async () => {
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, { maxFailuresPerAccount: 5, backoffAfter: 1 })
    const attempt = { account: 'dave', ip: '203.0.113.3' }
    await throttle.attempt(attempt, wrong)
    await throttle.attempt(attempt, wrong)
    const verify = vi.fn(right)
    expect(await throttle.attempt(attempt, verify)).toEqual({
      ok: false,
      reason: 'locked',
      retryAfter: 1,
    })
    expect(verify).not.toHaveBeenCalled()
  })

  it('the lock expires on the controlled clock; a success gives its attempt back but keeps the failures; reset clears', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, {
      maxFailuresPerAccount: 2,
      backoffAfter: 5,
      lockout: '10m',
      accountWindow: '1h',
    })
    const attempt = { account: 'carol', ip: '203.0.113.8' }
    for (let i = 0; i < 2; i++) await throttle.attempt(attempt, wrong)
    expect(await throttle.check(attempt)).toEqual({
      allowed: false,
      scope: 'account',
      retryAfter: 600,
    })
    vi.advanceTimersByTime(9 * 60_000)
    expect(await throttle.attempt(attempt, right)).toMatchObject({
      ok: false,
      reason: 'locked',
      retryAfter: 60,
    })
    vi.advanceTimersByTime(60_001)
    // The lock is over, but the window (1h) still holds two failures: no budget left.
    expect(await throttle.attempt(attempt, right)).toMatchObject({ ok: false, reason: 'locked' })
    vi.advanceTimersByTime(60 * 60_000)
    await throttle.attempt(attempt, wrong)
    expect(await throttle.attempt(attempt, right)).toEqual({ ok: true, value: { id: 'u1' } })
    expect(await throttle.failures('carol')).toBe(1)
    await throttle.reset('carol')
    expect(await throttle.failures('carol')).toBe(0)
  })

  it('one IP spraying many accounts is throttled; another IP is not', async () => {
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, { maxFailuresPerIp: 20 })
    for (let i = 0; i < 20; i++)
      expect(
        await throttle.attempt({ account: `user${i}@example.com`, ip: '192.0.2.66' }, wrong),
      ).toEqual({ ok: false, reason: 'invalid' })
    expect(
      await throttle.attempt({ account: 'fresh@example.com', ip: '192.0.2.66' }, right),
    ).toMatchObject({ ok: false, reason: 'throttled' })
    expect(await throttle.check({ account: 'fresh@example.com', ip: '192.0.2.66' })).toMatchObject({
      allowed: false,
      scope: 'ip',
    })
    expect(
      await throttle.attempt({ account: 'fresh@example.com', ip: '192.0.2.67' }, right),
    ).toMatchObject({ ok: true })
    // The refused attempt from the locked IP did not cost the account anything.
    expect(await throttle.failures('fresh@example.com')).toBe(0)
  })

  it('a verify that throws keeps the attempt counted and propagates', async () => {
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, { maxFailuresPerAccount: 3 })
    const boom = () => Promise.reject(new Error('db down'))
    await expect(throttle.attempt({ account: 'erin', ip: undefined }, boom)).rejects.toThrow(
      'db down',
    )
    expect(await throttle.failures('erin')).toBe(1)
  })

  it('refuses bad options at startup', () => {
    const { sessions } = testSessions()
    expect(() => createLoginThrottle(sessions, { maxFailuresPerAccount: 0 })).toThrow(
      /maxFailuresPerAccount/,
    )
    expect(() => createLoginThrottle(sessions, { lockout: 'forever' as never })).toThrow(/lockout/)
  })
})
