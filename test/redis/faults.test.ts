// Outages on a real redis-server: killed, restarted on the same port, and hung (SIGSTOP). Fails closed, recovers alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sessions } from '../../src/index.ts'
import { redisStore, type RedisClientLike } from '../../src/stores/redis/index.ts'
import {
  redisCli,
  startStandaloneClients,
  uniquePrefix,
  type RedisServer,
  type StandaloneClients,
} from '../support/redis.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

let redis: StandaloneClients
let server: RedisServer
const clients: Array<{ name: string; client: RedisClientLike }> = []

beforeAll(async () => {
  redis = await startStandaloneClients()
  server = redis.server
  clients.push(
    { name: 'node-redis', client: redis.nodeRedis },
    { name: 'ioredis', client: redis.ioredis },
  )
})

afterAll(async () => redis?.stop())

/** Settles `work` and reports how long it took and how it ended. */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; code: string }> {
  const started = Date.now()
  try {
    await work()
    return { ms: Date.now() - started, code: 'ok' }
  } catch (err) {
    return { ms: Date.now() - started, code: (err as { code?: string }).code ?? String(err) }
  }
}

async function login(sessions: Sessions, userId: string): Promise<string> {
  const session = await sessions.load()
  await session.login(userId)
  session.set('counter', 1)
  return cookiePair((await session.commit()).cookies[0])
}

/** Retries a request until it succeeds (the client reconnects on its own); fails after `limitMs`. */
async function recovered(sessions: Sessions, limitMs: number): Promise<number> {
  const started = Date.now()
  for (;;) {
    const attempt = await timed(() => login(sessions, 'after-restart'))
    if (attempt.code === 'ok') return Date.now() - started
    expect(attempt.code).toBe('STORE_UNAVAILABLE')
    if (Date.now() - started > limitMs)
      throw new Error(`store did not recover within ${limitMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('redisStore under faults', () => {
  it('a killed server gives STORE_UNAVAILABLE within 2 s (no hang, no crash); after a restart the same store works again', async () => {
    const setups = clients.map(({ name, client }) => ({
      name,
      ...testSessions({ store: redisStore({ client, prefix: uniquePrefix() }) }),
    }))
    const cookies = await Promise.all(setups.map(({ sessions }) => login(sessions, 'victim')))
    // Requests in flight while the server dies, and requests made while it is down.
    const inFlight = setups.flatMap(({ sessions }, i) =>
      Array.from({ length: 20 }, () => timed(() => sessions.load({ cookie: cookies[i] }))),
    )
    await server.kill()
    const during = await Promise.all(inFlight)
    const down = await Promise.all(
      setups.flatMap(({ sessions }, i) => [
        timed(() => sessions.load({ cookie: cookies[i] })),
        timed(() => login(sessions, 'nobody')),
      ]),
    )
    for (const result of [...during, ...down]) {
      expect(['ok', 'STORE_UNAVAILABLE']).toContain(result.code)
      expect(result.ms).toBeLessThan(2000)
    }
    expect(down.every((r) => r.code === 'STORE_UNAVAILABLE')).toBe(true)
    for (const { sessions } of setups)
      await expect(sessions.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })

    await server.restart()
    for (const { name, sessions } of setups) {
      const ms = await recovered(sessions, 10_000)
      expect(ms, name).toBeLessThan(10_000)
      await expect(sessions.ping()).resolves.toBeUndefined()
      const cookie = await login(sessions, 'back')
      const session = await sessions.load({ cookie })
      expect(session.userId).toBe('back')
      expect(session.get('counter')).toBe(1)
      expect((await sessions.listSessions('back')).map((s) => s.id)).toEqual([session.id])
    }
  }, 30_000)

  it('a hung server (SIGSTOP) gives STORE_UNAVAILABLE after commandTimeout, and a timed-out commit is all or nothing', async () => {
    const setups = await Promise.all(
      clients.map(async ({ name, client }) => {
        const { sessions } = testSessions({ store: redisStore({ client, prefix: uniquePrefix() }) })
        const cookie = await login(sessions, 'hung')
        const session = await sessions.load({ cookie })
        session.set('a', 1)
        session.set('b', 2)
        return { name, sessions, cookie, session }
      }),
    )
    server.pause()
    try {
      const results = await Promise.all(
        setups.map(({ sessions, cookie, session }) =>
          Promise.all([timed(() => sessions.load({ cookie })), timed(() => session.commit())]),
        ),
      )
      results.forEach((pair, i) => {
        for (const result of pair) {
          expect(result.code, setups[i]?.name).toBe('STORE_UNAVAILABLE')
          expect(result.ms, setups[i]?.name).toBeGreaterThanOrEqual(900)
          expect(result.ms, setups[i]?.name).toBeLessThan(2000)
        }
      })
    } finally {
      server.resume()
    }
    for (const { name, sessions, cookie } of setups) {
      await recovered(sessions, 10_000)
      const after = await sessions.load({ cookie })
      expect(after.userId).toBe('hung')
      expect(after.get('a') === undefined, name).toBe(after.get('b') === undefined)
    }
  }, 30_000)

  it('reloads its scripts after SCRIPT FLUSH (EVALSHA gets NOSCRIPT, EVAL runs once, then EVALSHA again)', async () => {
    for (const { name, client } of clients) {
      const { sessions } = testSessions({ store: redisStore({ client, prefix: uniquePrefix() }) })
      const cookie = await login(sessions, 'flushed')
      redisCli(server.port, 'SCRIPT', 'FLUSH')
      redisCli(server.port, 'CONFIG', 'RESETSTAT')
      for (let i = 0; i < 3; i++) {
        const session = await sessions.load({ cookie })
        session.set('n', i)
        await session.commit()
      }
      const stats = redisCli(server.port, 'INFO', 'commandstats')
      const calls = (command: string): number =>
        Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0)
      const failed = Number(
        /cmdstat_evalsha:calls=\d+,[^\n]*failed_calls=(\d+)/.exec(stats)?.[1] ?? 0,
      )
      expect(
        { evalsha: calls('evalsha'), failedEvalsha: failed, eval: calls('eval') },
        name,
      ).toEqual({ evalsha: 3, failedEvalsha: 1, eval: 1 })
      expect((await sessions.load({ cookie })).get('n')).toBe(2)
    }
  })
})
