// The manager on the Redis store, all four client set-ups: concurrency, revocation races, login and the user's hash slot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sessions } from '../../src/index.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import type { Store } from '../../src/stores/types.ts'
import { userTag } from '../../src/crypto/token.ts'
import {
  CLIENT_KINDS,
  redisCli,
  startClients,
  uniquePrefix,
  type RedisClients,
} from '../support/redis.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

let redis: RedisClients | undefined

beforeAll(async () => {
  redis = await startClients()
})

afterAll(async () => {
  await redis?.stop()
})

/** One request: load the cookie, run `handle`, commit; returns the cookie for the next request. */
async function request(
  sessions: Sessions,
  cookie: string | undefined,
  handle: (s: Awaited<ReturnType<Sessions['load']>>) => unknown = () => undefined,
): Promise<string | undefined> {
  const session = await sessions.load({ cookie })
  await handle(session)
  const [setCookie] = (await session.commit()).cookies
  return setCookie === undefined
    ? cookie
    : setCookie.includes('=;')
      ? undefined
      : cookiePair(setCookie)
}

async function loggedIn(sessions: Sessions, userId: string, before?: string): Promise<string> {
  return (await request(sessions, before, (s) => s.login(userId))) as string
}

describe.each(CLIENT_KINDS)('manager on redisStore (%s)', (kind) => {
  const setup = (
    options: Parameters<typeof testSessions>[0] = {},
  ): {
    sessions: Sessions
    store: Store
    events: ReturnType<typeof testSessions>['events']
    prefix: string
  } => {
    if (!redis) throw new Error('Redis servers were not started')
    const prefix = uniquePrefix()
    // A generous timeout: these tests saturate a small CI machine on purpose; outages are tested in faults.test.ts.
    const store = redisStore({ client: redis.clients[kind], prefix, commandTimeoutMs: 15_000 })
    const { sessions, events } = testSessions({ store, ...options })
    return { sessions, store, events, prefix }
  }

  it('1,000 concurrent commits, each changing a different key, lose nothing', async () => {
    const { sessions } = setup()
    const cookie = await loggedIn(sessions, 'many-writes')
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => request(sessions, cookie, (s) => s.set(`k${i}`, i))),
    )
    const after = await sessions.load({ cookie })
    expect(Object.keys(after.data)).toHaveLength(1000)
    expect(Array.from({ length: 1000 }, (_, i) => after.get(`k${i}`))).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    )
  }, 60_000)

  it('100 concurrent update() increments end at exactly 100', async () => {
    const { sessions } = setup()
    const cookie = await request(sessions, undefined, (s) => s.set('counter', 0))
    await Promise.all(
      Array.from({ length: 100 }, () =>
        request(sessions, cookie, (s) =>
          s.update((d) => void (d.counter = (d.counter as number) + 1)),
        ),
      ),
    )
    expect((await sessions.load({ cookie })).get('counter')).toBe(100)
  }, 60_000)

  it('a commit racing a revoke leaves the session revoked', async () => {
    const { sessions, store } = setup()
    for (let round = 0; round < 10; round++) {
      const cookie = await loggedIn(sessions, 'raced')
      const loaded = await Promise.all(Array.from({ length: 5 }, () => sessions.load({ cookie })))
      const id = loaded[0]?.id as string
      loaded.forEach((s, i) => s.set(`late${i}`, round))
      const [revoked] = await Promise.all([
        sessions.revokeUserSessions('raced'),
        ...loaded.map((s) => s.commit()),
      ])
      expect(revoked).toBe(1)
      expect(await store.get(id)).toBeNull()
      expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
    }
    expect(await sessions.listSessions('raced')).toEqual([])
  }, 60_000)

  it('login moves anonymous data to a new id in the user’s slot and kills the old id', async () => {
    const { sessions, store, prefix } = setup()
    const anonymous = await request(sessions, undefined, (s) => s.set('cart', ['book']))
    const before = await sessions.load({ cookie: anonymous })
    const oldId = before.id as string
    const cookie = await loggedIn(sessions, 'alice', anonymous)
    const after = await sessions.load({ cookie })
    expect(after.userId).toBe('alice')
    expect(after.get('cart')).toEqual(['book'])
    expect(await store.get(oldId)).toMatchObject({ version: 0, userId: null, data: {} }) // a tombstone, for requests in flight
    expect((await sessions.load({ cookie: anonymous })).isAuthenticated).toBe(false)
    const id = after.id as string
    expect(id.slice(0, 4)).toBe(userTag('alice'))
    if (redis && kind.toLowerCase().includes('cluster')) {
      const port = redis.cluster.ports[0] as number
      const slot = (key: string): string => redisCli(port, 'cluster', 'keyslot', key).trim()
      expect(slot(`${prefix}{${id.slice(0, 4)}}${id.slice(4)}`)).toBe(
        slot(`${prefix}{${userTag('alice')}}u:alice`),
      )
    }
  })

  it('regenerate, maxSessionsPerUser, listSessions and “log out other devices” stay consistent', async () => {
    const { sessions, events } = setup({ maxSessionsPerUser: 3 })
    const cookies: string[] = []
    for (let i = 0; i < 5; i++) cookies.push(await loggedIn(sessions, 'bob'))
    const listed = await sessions.listSessions('bob')
    expect(listed).toHaveLength(3)
    expect(
      events.filter((e) => e.type === 'session.revoked' && e.reason === 'evicted'),
    ).toHaveLength(2)
    const current = cookies[4] as string
    const regenerated = (await request(sessions, current, (s) => s.regenerate())) as string
    expect(regenerated).not.toBe(current)
    expect((await sessions.load({ cookie: current })).isAuthenticated).toBe(false)
    const keep = await sessions.load({ cookie: regenerated })
    expect((await sessions.listSessions('bob')).map((s) => s.id)).toContain(keep.id)
    expect(await sessions.revokeUserSessions('bob', { except: keep.id })).toBe(2)
    expect((await sessions.listSessions('bob')).map((s) => s.id)).toEqual([keep.id])
    expect((await sessions.load({ cookie: regenerated })).userId).toBe('bob')
    const out = await request(sessions, regenerated, (s) => s.logout())
    expect(out).toBeUndefined()
    expect(await sessions.listSessions('bob')).toEqual([])
  })
})
