// Login throttling on real Redis (node-redis and ioredis): counts across IPs, and fail-closed when Redis is down.
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLoginThrottle } from '../../src/throttle/index.ts'
import { startRedis, uniquePrefix, type RedisServer } from '../support/redis.ts'
import { testSessions } from '../support/sessions.ts'

let server: RedisServer
beforeAll(async () => void (server = await startRedis()))
afterAll(async () => server?.stop())

const clients = {
  'node-redis': async () => {
    const client = createClient({
      url: server.url,
      socket: { reconnectStrategy: 100 },
      disableOfflineQueue: true,
    })
    client.on('error', () => undefined)
    await client.connect()
    return { client, close: () => client.close() }
  },
  ioredis: async () => {
    const client = new Redis(server.port, '127.0.0.1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 100,
    })
    client.on('error', () => undefined)
    await new Promise((resolve) => client.once('ready', resolve))
    return { client, close: async () => void client.disconnect() }
  },
}

describe.each(Object.entries(clients))('login throttle on Redis (%s)', (_name, connect) => {
  it('counts guesses on one account from many IPs, and locks it for every IP', async () => {
    const { client, close } = await connect()
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, {
      redis: client,
      prefix: uniquePrefix('thr'),
      maxFailuresPerAccount: 5,
      backoffAfter: 10,
    })
    for (let i = 0; i < 5; i++)
      await throttle.attempt({ account: 'victim@example.com', ip: `198.51.100.${i}` }, () => false)
    expect(await throttle.failures('victim@example.com')).toBe(5)
    expect(
      await throttle.check({ account: 'victim@example.com', ip: '203.0.113.5' }),
    ).toMatchObject({ allowed: false, scope: 'account' })
    await close()
  })

  it('blocks logins while Redis is down, and recovers without a restart', async () => {
    const { client, close } = await connect()
    const { sessions, events } = testSessions()
    const throttle = createLoginThrottle(sessions, {
      redis: client,
      prefix: uniquePrefix('thr'),
      timeout: '1s',
    })
    const attempt = { account: 'carol@example.com', ip: '203.0.113.9' }
    expect(await throttle.check(attempt)).toEqual({ allowed: true })
    await server.kill()
    const started = Date.now()
    expect(await throttle.check(attempt)).toMatchObject({ allowed: false, scope: 'unavailable' })
    let checked = 0
    expect(await throttle.attempt(attempt, () => ++checked)).toMatchObject({
      ok: false,
      reason: 'unavailable',
    })
    expect(checked).toBe(0)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(events.some((e) => e.type === 'login.locked' && e.scope === 'unavailable')).toBe(true)
    await server.restart()
    await expect
      .poll(async () => (await throttle.check(attempt)).allowed, { timeout: 5_000, interval: 100 })
      .toBe(true)
    await close()
  })

  it('reset() and failures() reject with STORE_UNAVAILABLE when Redis hangs or is down (never a plain Error)', async () => {
    const { client, close } = await connect()
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, {
      redis: client,
      prefix: uniquePrefix('thr'),
      timeout: '1s',
    })
    server.pause()
    try {
      await expect(throttle.failures('dave@example.com')).rejects.toMatchObject({
        name: 'HallpassError',
        code: 'STORE_UNAVAILABLE',
        message: expect.stringMatching(/did not answer within 1000 ms/),
      })
    } finally {
      server.resume()
    }
    await server.kill()
    await expect(throttle.reset('dave@example.com')).rejects.toMatchObject({
      name: 'HallpassError',
      code: 'STORE_UNAVAILABLE',
    })
    await server.restart()
    await expect
      .poll(
        async () => (await throttle.check({ account: 'dave@example.com', ip: undefined })).allowed,
        { timeout: 5_000, interval: 100 },
      )
      .toBe(true)
    await close()
  })
})
