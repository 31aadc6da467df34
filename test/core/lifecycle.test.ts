// Session lifecycle: fixation-proof login, logout replay, timeouts on an injected clock, touch interval, remember-me.
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/stores/memory.ts'
import { countingStore } from '../support/counting-store.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

async function anonymousWithData(sessions: ReturnType<typeof testSessions>['sessions']) {
  const session = await sessions.load({
    ip: '203.0.113.9',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
  })
  session.set('cart', ['book'])
  return cookiePair((await session.commit()).cookies[0])
}

describe('login', () => {
  it('fixation: a planted pre-login cookie is dead after login and the data moves over', async () => {
    const { sessions, events } = testSessions()
    const planted = await anonymousWithData(sessions)
    const victim = await sessions.load({ cookie: planted })
    expect(victim.get('cart')).toEqual(['book'])
    const preLoginId = victim.id
    await victim.login('alice', { roles: ['user'] })
    const [cookie] = (await victim.commit()).cookies
    expect(victim.id).not.toBe(preLoginId)
    const attacker = await sessions.load({ cookie: planted })
    expect(attacker.isAuthenticated).toBe(false)
    expect(attacker.get('cart')).toBeUndefined()
    const next = await sessions.load({ cookie: cookiePair(cookie) })
    expect(next.userId).toBe('alice')
    expect(next.roles).toEqual(['user'])
    expect(next.get('cart')).toEqual(['book'])
    expect(events.map((e) => e.type)).toEqual([
      'session.created',
      'session.regenerated',
      'login.succeeded',
      'session.rejected',
    ])
  })

  it('logging in as another user does not inherit the previous user’s data', async () => {
    const { sessions } = testSessions()
    const session = await sessions.load()
    await session.login('alice')
    session.set('secret', 'alice-only')
    await session.login('mallory')
    expect(session.data).toEqual({})
  })

  it('rejects a bad userId or oversized privilege lists with INVALID_ARGUMENT', async () => {
    const { sessions } = testSessions()
    const session = await sessions.load()
    await expect(session.login('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(session.login('x'.repeat(300))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(
      session.login('a', { roles: Array.from({ length: 300 }, (_, i) => `r${i}`) }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('regenerate keeps user, data and the absolute deadline', async () => {
    const { sessions, clock } = testSessions()
    const session = await sessions.load()
    await session.login('alice')
    const first = cookiePair((await session.commit()).cookies[0])
    const deadline = session.expiresAt
    clock.advance(10 * MINUTE)
    const later = await sessions.load({ cookie: first })
    later.set('step', 2)
    await later.regenerate()
    const second = cookiePair((await later.commit()).cookies[0])
    expect(later.expiresAt).toBe(deadline)
    expect((await sessions.load({ cookie: first })).isAuthenticated).toBe(false)
    const reloaded = await sessions.load({ cookie: second })
    expect(reloaded.userId).toBe('alice')
    expect(reloaded.get('step')).toBe(2)
  })
})

describe('logout', () => {
  it('replaying the cookie after logout gives nothing', async () => {
    const { sessions } = testSessions()
    const session = await sessions.load()
    await session.login('alice')
    const pair = cookiePair((await session.commit()).cookies[0])
    const current = await sessions.load({ cookie: pair })
    await current.logout()
    const { cookies } = await current.commit()
    expect(cookies[0]).toMatch(/^hp=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/)
    const replay = await sessions.load({ cookie: pair })
    expect(replay.isAuthenticated).toBe(false)
    expect(await sessions.listSessions('alice')).toEqual([])
  })

  it('a cookieless or forged request writes nothing to the store', async () => {
    const { store, calls } = countingStore(memoryStore())
    const { sessions } = testSessions({ store })
    for (const cookie of [undefined, 'hp=forged', 'hp=1.xxxx.yyyy']) {
      const session = await sessions.load({ cookie })
      session.get('anything')
      await session.commit()
    }
    expect(calls).toMatchObject({ get: 0, create: 0, patch: 0, destroy: 0 })
  })
})

describe('timeouts', () => {
  it('idle timeout ends the session on the server, whatever the client sends', async () => {
    // The store runs on real time, so only the manager's own check (on the injected clock) can end it.
    const { sessions, clock, events } = testSessions({
      store: memoryStore(),
      idleTimeout: '30m',
      touchInterval: '1m',
    })
    const session = await sessions.load()
    await session.login('alice')
    const pair = cookiePair((await session.commit()).cookies[0])
    clock.advance(29 * MINUTE)
    const alive = await sessions.load({ cookie: pair })
    expect(alive.userId).toBe('alice')
    await alive.commit() // touch
    clock.advance(29 * MINUTE)
    expect((await sessions.load({ cookie: pair })).userId).toBe('alice')
    clock.advance(31 * MINUTE)
    const expired = await sessions.load({ cookie: pair })
    expect(expired.isAuthenticated).toBe(false)
    expect((await expired.commit()).cookies[0]).toMatch(/Max-Age=0/)
    expect(events.some((e) => e.type === 'session.expired' && e.reason === 'idle')).toBe(true)
  })

  it('absolute timeout ends an active session', async () => {
    const { sessions, clock, events } = testSessions({
      store: memoryStore(),
      idleTimeout: '30m',
      absoluteTimeout: '2h',
    })
    const session = await sessions.load()
    await session.login('alice')
    const pair = cookiePair((await session.commit()).cookies[0])
    for (let i = 0; i < 7; i++) {
      clock.advance(15 * MINUTE)
      const active = await sessions.load({ cookie: pair })
      expect(active.userId).toBe('alice')
      await active.commit()
    }
    clock.advance(16 * MINUTE)
    expect((await sessions.load({ cookie: pair })).isAuthenticated).toBe(false)
    expect(events.some((e) => e.type === 'session.expired' && e.reason === 'absolute')).toBe(true)
  })

  it('sliding expiry writes to the store at most once per touch interval', async () => {
    const { store, calls } = countingStore(memoryStore())
    const { sessions, clock } = testSessions({ store, touchInterval: '60s' })
    const session = await sessions.load()
    await session.login('alice')
    const pair = cookiePair((await session.commit()).cookies[0])
    for (let i = 0; i < 100; i++) {
      clock.advance(1_000) // 100 requests over 100 s
      await (await sessions.load({ cookie: pair })).commit()
    }
    expect(calls.get).toBe(100)
    expect(calls.patch).toBe(1)
  })

  it('a function idleTimeout applies to existing sessions on their next request', async () => {
    let idle = 60
    const { sessions, clock } = testSessions({ idleTimeout: () => idle * 60, touchInterval: '10s' })
    const session = await sessions.load()
    await session.login('alice')
    const pair = cookiePair((await session.commit()).cookies[0])
    clock.advance(20 * MINUTE)
    idle = 10
    expect((await sessions.load({ cookie: pair })).isAuthenticated).toBe(false)
  })

  it('remember-me gets a persistent cookie that never outlives the absolute timeout; the default does not', async () => {
    const { sessions, clock } = testSessions({ rememberMeTimeout: '30d', absoluteTimeout: '24h' })
    const remembered = await sessions.load()
    await remembered.login('alice', { rememberMe: true })
    const [persistent] = (await remembered.commit()).cookies
    expect(persistent).toMatch(/Max-Age=2592000;/)
    const plain = await sessions.load()
    await plain.login('bob')
    expect((await plain.commit()).cookies[0]).not.toMatch(/Max-Age|Expires/)
    clock.advance(10 * 24 * HOUR)
    const later = await sessions.load({ cookie: cookiePair(persistent) })
    expect(later.userId).toBe('alice')
    await later.regenerate()
    expect((await later.commit()).cookies[0]).toMatch(/Max-Age=1728000;/)
  })
})

describe('data rules', () => {
  it('refuses prototype keys and non-JSON values', async () => {
    const { sessions } = testSessions()
    const session = await sessions.load()
    expect(() => session.set('__proto__', { polluted: true })).toThrow(/cannot be used/)
    expect(() => session.set('n', 10n)).toThrow(/JSON/)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('maxDataBytes is enforced at commit with SESSION_TOO_LARGE, and nothing is written', async () => {
    const { store, calls } = countingStore(memoryStore())
    const { sessions } = testSessions({ store, maxDataBytes: 100 })
    const session = await sessions.load()
    session.set('blob', 'x'.repeat(200))
    await expect(session.commit()).rejects.toMatchObject({ code: 'SESSION_TOO_LARGE' })
    expect(calls.create).toBe(0)
  })

  it('session info lists device, ip, created and last-seen', async () => {
    const { sessions, clock } = testSessions()
    const first = await sessions.load({
      ip: '198.51.100.7',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/140.0 Safari/537.36',
    })
    await first.login('alice')
    await first.commit()
    clock.advance(MINUTE)
    const second = await sessions.load({
      ip: '203.0.113.9',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko Firefox/140.0',
    })
    await second.login('alice')
    await second.commit()
    const list = await sessions.listSessions('alice')
    expect(list.map((s) => [s.device, s.ip])).toEqual([
      ['Firefox on Linux', '203.0.113.9'],
      ['Chrome on Windows', '198.51.100.7'],
    ])
    expect(list[0]?.createdAt).toBe(list[1]!.createdAt + MINUTE)
  })
})

describe('hostile data', () => {
  it('refuses forbidden keys at any depth, from set and from update', async () => {
    const { sessions } = testSessions()
    const session = await sessions.load()
    await session.login('alice')
    expect(() =>
      session.set('profile', JSON.parse('{"nested":{"__proto__":{"admin":true}}}')),
    ).toThrow(
      expect.objectContaining({
        code: 'SESSION_DATA_INVALID',
        message: expect.stringContaining('profile.nested'),
      }),
    )
    await expect(
      session.update(() => JSON.parse('{"constructor":{"prototype":{}}}')),
    ).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' })
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })
})
