// Login throttling on the memory backend: exact counts, backoff, lockout, IP spraying, expiry on a controlled clock.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLoginThrottle } from '../../src/throttle/index.ts'
import { testSessions } from '../support/sessions.ts'

afterEach(() => void vi.useRealTimers())

describe('login throttle', () => {
  it('200 parallel failures from many IPs count exactly and lock the account', async () => {
    const { sessions, events } = testSessions()
    const throttle = createLoginThrottle(sessions, { maxFailuresPerAccount: 5 })
    await Promise.all(Array.from({ length: 200 }, (_, i) => throttle.failure({ account: 'victim@example.com', ip: `198.51.100.${i % 250}` })))
    expect(await throttle.failures('Victim@Example.com ')).toBe(200)
    const verdict = await throttle.check({ account: 'victim@example.com', ip: '203.0.113.1' })
    expect(verdict).toMatchObject({ allowed: false, scope: 'account' })
    expect(events.filter((e) => e.type === 'login.failed')).toHaveLength(200)
    expect(JSON.stringify(events)).not.toContain('victim@example.com')
  })

  it('backs off exponentially before the lock, then locks with Retry-After', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, { maxFailuresPerAccount: 5, backoffAfter: 2, lockout: '15m' })
    const attempt = { account: 'bob', ip: '203.0.113.7' }
    const delays: Array<number | undefined> = []
    for (let i = 0; i < 6; i++) {
      const verdict = await throttle.failure(attempt)
      delays.push(verdict.allowed ? 0 : verdict.retryAfter)
      if (!verdict.allowed) vi.advanceTimersByTime(verdict.retryAfter * 1000 + 1)
    }
    expect(delays).toEqual([0, 0, 1, 2, 4, 900])
  })

  it('the lock expires on the controlled clock and success clears the account', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, { maxFailuresPerAccount: 2, backoffAfter: 5, lockout: '10m', accountWindow: '1h' })
    const attempt = { account: 'carol', ip: '203.0.113.8' }
    for (let i = 0; i < 3; i++) await throttle.failure(attempt)
    expect(await throttle.check(attempt)).toEqual({ allowed: false, scope: 'account', retryAfter: 600 })
    vi.advanceTimersByTime(9 * 60_000)
    expect(await throttle.check(attempt)).toMatchObject({ allowed: false, retryAfter: 60 })
    vi.advanceTimersByTime(60_001)
    expect(await throttle.check(attempt)).toEqual({ allowed: true })
    await throttle.success(attempt)
    expect(await throttle.failures('carol')).toBe(0)
  })

  it('one IP spraying many accounts is throttled', async () => {
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, { maxFailuresPerIp: 20 })
    for (let i = 0; i < 21; i++) await throttle.failure({ account: `user${i}@example.com`, ip: '192.0.2.66' })
    expect(await throttle.check({ account: 'fresh@example.com', ip: '192.0.2.66' })).toMatchObject({ allowed: false, scope: 'ip' })
    expect(await throttle.check({ account: 'fresh@example.com', ip: '192.0.2.67' })).toEqual({ allowed: true })
  })

  it('refuses bad options at startup', () => {
    const { sessions } = testSessions()
    expect(() => createLoginThrottle(sessions, { maxFailuresPerAccount: 0 })).toThrow(/maxFailuresPerAccount/)
    expect(() => createLoginThrottle(sessions, { lockout: 'forever' as never })).toThrow(/lockout/)
  })
})
