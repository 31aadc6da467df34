// Redis at its memory limit (docs/redis.md, "Eviction"): only noeviction keeps anonymous floods from signing users out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sessions } from '../../src/index.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import {
  redisCli,
  startStandaloneClients,
  uniquePrefix,
  type StandaloneClients,
} from '../support/redis.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

let redis: StandaloneClients

beforeAll(async () => {
  redis = await startStandaloneClients()
})

afterAll(async () => redis?.stop())

function setup() {
  const prefix = uniquePrefix('mm')
  const { sessions, clock, events } = testSessions({
    store: redisStore({ client: redis.nodeRedis, prefix }),
  })
  return { sessions, clock, events, prefix }
}

async function signIn(sessions: Sessions, userId: string, cookie?: string): Promise<string> {
  const session = await sessions.load({ cookie })
  await session.login(userId)
  return cookiePair((await session.commit()).cookies[0])
}

async function anonymousWrite(sessions: Sessions, i: number): Promise<void> {
  const session = await sessions.load({})
  session.set('visits', i)
  await session.commit()
}

describe('redis maxmemory policies', () => {
  it('every key hallpass writes has a TTL: volatile-* may evict sessions and user indexes like allkeys-*', async () => {
    const { sessions, prefix } = setup()
    const guest = await (async () => {
      const session = await sessions.load({})
      session.set('cart', [1])
      return cookiePair((await session.commit()).cookies[0])
    })()
    await signIn(sessions, 'alice', guest) // a login from the anonymous session: new session, index, tombstone
    await signIn(sessions, 'alice')
    const keys = redisCli(redis.server.port, '--scan', '--pattern', `${prefix}*`)
      .split('\n')
      .filter(Boolean)
    expect(keys.length).toBeGreaterThanOrEqual(4)
    for (const key of keys)
      expect(Number(redisCli(redis.server.port, 'PTTL', key)), key).toBeGreaterThan(0)
  })

  it('noeviction at the limit: writes fail closed with STORE_UNAVAILABLE, signed-in users stay signed in', async () => {
    const { sessions, events } = setup()
    const alice = await signIn(sessions, 'alice')
    const carol = await signIn(sessions, 'carol')
    expect(redisCli(redis.server.port, 'CONFIG', 'GET', 'maxmemory-policy')).toContain('noeviction')
    const used = Number(
      /used_memory:(\d+)/.exec(redisCli(redis.server.port, 'INFO', 'memory'))?.[1],
    )
    redisCli(redis.server.port, 'CONFIG', 'SET', 'maxmemory', String(used + 256 * 1024))
    try {
      let refused: unknown
      for (let i = 0; i < 50_000 && refused === undefined; i++) {
        refused = await anonymousWrite(sessions, i).catch((err: unknown) => err)
      }
      expect(refused).toMatchObject({ code: 'STORE_UNAVAILABLE' })
      const reading = await sessions.load({ cookie: alice })
      expect(reading.userId).toBe('alice') // reads still work
      reading.set('theme', 'dark')
      await expect(reading.commit()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' }) // so does no write
      await expect(signIn(sessions, 'bob')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
      const leaving = await sessions.load({ cookie: carol })
      await expect(leaving.logout()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
      const failed = events.filter((e) => e.type === 'session.end_failed')
      expect(failed).toMatchObject([{ userId: 'carol', reason: 'logout' }])
    } finally {
      redisCli(redis.server.port, 'CONFIG', 'SET', 'maxmemory', '0')
    }
    expect((await sessions.load({ cookie: alice })).userId).toBe('alice')
    await anonymousWrite(sessions, 0)
  }, 120_000)
})
