// Parallel password guesses against the login throttle, on memory and on real Redis (node-redis, ioredis): at most the configured number of verifications.
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLoginThrottle, type ThrottleOptions } from '../../src/throttle/index.ts'
import { startRedis, uniquePrefix, type RedisServer } from '../support/redis.ts'
import { testSessions } from '../support/sessions.ts'

let server: RedisServer
beforeAll(async () => void (server = await startRedis()))
afterAll(async () => server?.stop())

type Backend = () => Promise<{ options: ThrottleOptions; close: () => Promise<void> }>

const backends: Record<string, Backend> = {
  memory: async () => ({ options: {}, close: async () => undefined }),
  'node-redis': async () => {
    const client = createClient({ url: server.url })
    await client.connect()
    return {
      options: { redis: client, prefix: uniquePrefix('thr') },
      close: async () => void (await client.close()),
    }
  },
  ioredis: async () => {
    const client = new Redis(server.port, '127.0.0.1')
    await new Promise((resolve) => client.once('ready', resolve))
    return {
      options: { redis: client, prefix: uniquePrefix('thr') },
      close: async () => void client.disconnect(),
    }
  },
}

/** A password check that takes a little while, like a real hash, and counts how often it ran. */
function checker(secret: string) {
  const checked: string[] = []
  return {
    checked,
    verify: (password: string) => async () => {
      checked.push(password)
      await sleep(5)
      return password === secret ? { id: 'u1' } : null
    },
  }
}

describe.each(Object.entries(backends))('parallel guesses (%s)', (_name, connect) => {
  it.each([30, 100])(
    '%i wrong guesses at once on one account from many IPs: exactly 5 are checked',
    async (n) => {
      const { options, close } = await connect()
      const { sessions } = testSessions()
      const throttle = createLoginThrottle(sessions, {
        ...options,
        maxFailuresPerAccount: 5,
        backoffAfter: 100,
      })
      const pw = checker('right-password')
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          throttle.attempt(
            { account: 'victim@example.com', ip: `198.51.100.${i % 250}` },
            pw.verify(`guess-${i}`),
          ),
        ),
      )
      expect(pw.checked).toHaveLength(5)
      expect(results.filter((r) => !r.ok && r.reason === 'invalid')).toHaveLength(5)
      expect(results.filter((r) => !r.ok && r.reason === 'locked')).toHaveLength(n - 5)
      await close()
    },
  )

  it('30 guesses at once with the right password 8th: it is never checked, and nothing gets in', async () => {
    const { options, close } = await connect()
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, {
      ...options,
      maxFailuresPerAccount: 5,
      backoffAfter: 100,
    })
    const pw = checker('right-password')
    const guesses = Array.from({ length: 30 }, (_, i) =>
      i === 7 ? 'right-password' : `guess-${i}`,
    )
    const results = await Promise.all(
      guesses.map((g, i) =>
        throttle.attempt({ account: 'victim@example.com', ip: `198.51.100.${i}` }, pw.verify(g)),
      ),
    )
    expect(pw.checked).toHaveLength(5)
    expect(pw.checked).not.toContain('right-password')
    expect(results.some((r) => r.ok)).toBe(false)
    // The account stays locked afterwards too: the next guess, right or wrong, is not checked.
    expect(
      await throttle.attempt(
        { account: 'victim@example.com', ip: '203.0.113.1' },
        pw.verify('right-password'),
      ),
    ).toMatchObject({ ok: false, reason: 'locked' })
    expect(pw.checked).toHaveLength(5)
    await close()
  })

  it.each([30, 100])(
    '%i guesses at once from one IP on as many accounts: exactly 20 are checked',
    async (n) => {
      const { options, close } = await connect()
      const { sessions } = testSessions()
      const throttle = createLoginThrottle(sessions, { ...options, maxFailuresPerIp: 20 })
      const pw = checker('right-password')
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          throttle.attempt(
            { account: `user${i}@example.com`, ip: '192.0.2.66' },
            pw.verify(`guess-${i}`),
          ),
        ),
      )
      expect(pw.checked).toHaveLength(20)
      expect(results.filter((r) => !r.ok && r.reason === 'throttled')).toHaveLength(n - 20)
      // Another network is unaffected.
      expect(
        await throttle.attempt(
          { account: 'user0@example.com', ip: '192.0.2.67' },
          pw.verify('right-password'),
        ),
      ).toEqual({ ok: true, value: { id: 'u1' } })
      await close()
    },
  )

  it('successes give their attempt back: 100 parallel right passwords from one IP all get in', async () => {
    const { options, close } = await connect()
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, {
      ...options,
      maxFailuresPerAccount: 200,
      maxFailuresPerIp: 200,
    })
    const pw = checker('right-password')
    const first = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        throttle.attempt(
          { account: `user${i}@example.com`, ip: '192.0.2.9' },
          pw.verify('right-password'),
        ),
      ),
    )
    expect(first.every((r) => r.ok)).toBe(true)
    expect(await throttle.failures('user0@example.com')).toBe(0)
    await close()
  })
})
