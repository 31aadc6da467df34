// Sealed-cookie sessions: same Session API, server-checked expiry, size limit at set, rotation, revocation, hostile seals.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSessions } from '../../src/index.ts'
import { KeyRing } from '../../src/crypto/keyring.ts'
import { Sealer } from '../../src/crypto/seal.ts'
import { SealedRevocation } from '../../src/core/sealed-revocation.ts'
import { sealedCookies } from '../../src/sealed/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { testClock } from '../support/clock.ts'
import { cookiePair, TEST_SECRET, testSessions } from '../support/sessions.ts'

const MINUTE = 60_000

function sealed(options: Parameters<typeof testSessions>[0] = {}) {
  return testSessions({ store: sealedCookies(), ...options })
}

async function signIn(
  sessions: ReturnType<typeof sealed>['sessions'],
  userId = 'alice',
  rememberMe = false,
) {
  const session = await sessions.load()
  await session.login(userId, { rememberMe, roles: ['user'] })
  session.set('cart', ['book'])
  return cookiePair((await session.commit()).cookies[0])
}

describe('sealed cookies', () => {
  it('a seal without an attribute code in front of the record (the format of unreleased builds) is anonymous', async () => {
    const { sessions } = sealed()
    const cookie = await signIn(sessions)
    const [name, value] = [
      cookie.slice(0, cookie.indexOf('=')),
      cookie.slice(cookie.indexOf('=') + 1),
    ]
    const sealer = new Sealer(new KeyRing(TEST_SECRET), 'session')
    const text = sealer.open(value) ?? ''
    const start = text.indexOf('{')
    expect(start).toBeGreaterThan(0) // the current format: a code, then the record
    const resealed = `${name}=${sealer.seal(text.slice(start))}`
    expect((await sessions.load({ cookie: resealed })).userId).toBeNull()
    expect((await sessions.load({ cookie: `${name}=${sealer.seal(text)}` })).userId).toBe('alice')
  })

  it('keep user, roles and data in the cookie, opaque to the client', async () => {
    const { sessions } = sealed()
    const cookie = await signIn(sessions)
    expect(cookie).not.toContain('alice')
    expect(cookie).not.toContain('book')
    const session = await sessions.load({ cookie })
    expect(session.userId).toBe('alice')
    expect(session.roles).toEqual(['user'])
    expect(session.get('cart')).toEqual(['book'])
  })

  it('login rotates: the pre-login cookie does not carry the new identity, and ids change', async () => {
    const { sessions } = sealed()
    const visitor = await sessions.load()
    visitor.set('theme', 'dark')
    const before = cookiePair((await visitor.commit()).cookies[0])
    const loaded = await sessions.load({ cookie: before })
    const anonymousId = loaded.id
    await loaded.login('alice')
    const after = cookiePair((await loaded.commit()).cookies[0])
    expect(loaded.id).not.toBe(anonymousId)
    expect((await sessions.load({ cookie: before })).userId).toBeNull()
    expect((await sessions.load({ cookie: after })).get('theme')).toBe('dark')
  })

  it('idle and absolute expiry are sealed inside and checked on the server', async () => {
    const { sessions, clock } = sealed({
      idleTimeout: '30m',
      absoluteTimeout: '2h',
      touchInterval: '1m',
    })
    let cookie = await signIn(sessions)
    clock.advance(31 * MINUTE)
    expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
    const { sessions: s2, clock: c2 } = sealed({
      idleTimeout: '30m',
      absoluteTimeout: '2h',
      touchInterval: '1m',
    })
    cookie = await signIn(s2)
    for (let i = 0; i < 8; i++) {
      c2.advance(15 * MINUTE)
      const session = await s2.load({ cookie })
      const { cookies } = await session.commit()
      if (session.isAuthenticated && cookies[0]) cookie = cookiePair(cookies[0])
    }
    expect((await s2.load({ cookie })).isAuthenticated).toBe(false)
  })

  it('touch re-seals at most once per touch interval', async () => {
    const { sessions, clock } = sealed({ touchInterval: '60s' })
    let cookie = await signIn(sessions)
    let reissued = 0
    for (let i = 0; i < 120; i++) {
      clock.advance(1_000)
      const [next] = (await (await sessions.load({ cookie })).commit()).cookies
      if (next) {
        reissued++
        cookie = cookiePair(next)
      }
    }
    expect(reissued).toBe(2)
  })

  it('throws SESSION_TOO_LARGE at set, not a broken cookie later', async () => {
    const { sessions } = sealed()
    const session = await sessions.load()
    session.set('small', 'ok')
    expect(() => session.set('big', 'x'.repeat(4000))).toThrow(
      expect.objectContaining({ code: 'SESSION_TOO_LARGE' }),
    )
    expect(session.get('big')).toBeUndefined()
    const [cookie] = (await session.commit()).cookies
    expect(cookie!.split(';')[0]!.length).toBeLessThanOrEqual(4096)
  })

  it('key rotation: an old key opens while listed, is refused once removed', async () => {
    const clock = testClock()
    const old = `${TEST_SECRET}-old`
    const before = createSessions({
      secret: old,
      store: sealedCookies(),
      clock,
      cookie: { secure: false },
    })
    const cookie = await signIn(before)
    const rotated = createSessions({
      secret: { 2: TEST_SECRET, 1: old },
      store: sealedCookies(),
      clock,
      cookie: { secure: false },
    })
    expect((await rotated.load({ cookie })).userId).toBe('alice')
    const retired = createSessions({
      secret: TEST_SECRET,
      store: sealedCookies(),
      clock,
      cookie: { secure: false },
    })
    expect((await retired.load({ cookie })).userId).toBeNull()
  })

  it('revocation: revokeUserSessions refuses older cookies; regenerate afterwards keeps this device', async () => {
    const revocation = memoryStore()
    const { sessions, clock } = sealed({ store: sealedCookies({ revocation }) })
    const laptop = await signIn(sessions)
    const phone = await signIn(sessions)
    clock.advance(1_000)
    const current = await sessions.load({ cookie: laptop })
    await sessions.revokeUserSessions('alice')
    await current.regenerate()
    const fresh = cookiePair((await current.commit()).cookies[0])
    expect((await sessions.load({ cookie: phone })).isAuthenticated).toBe(false)
    expect((await sessions.load({ cookie: laptop })).isAuthenticated).toBe(false)
    expect((await sessions.load({ cookie: fresh })).userId).toBe('alice')
    await expect(
      sessions.revokeUserSessions('alice', { except: current.id }),
    ).rejects.toMatchObject({ code: 'NOT_SUPPORTED' })
  })

  it('a revocation marker that keeps changing gives up with a typed STORE_UNAVAILABLE, not a plain Error', async () => {
    const store = memoryStore()
    const contended = {
      ...store,
      get: store.get.bind(store),
      create: store.create.bind(store),
      patch: async () => 'conflict' as const,
    }
    const revocation = new SealedRevocation(contended as typeof store, () => Date.now(), MINUTE)
    await revocation.revokeAll('alice') // creates the marker
    await expect(revocation.revokeAll('alice')).rejects.toMatchObject({
      name: 'HallpassError',
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/kept changing/),
    })
  })

  it('without a revocation store, listing and revoking say so clearly', async () => {
    const { sessions } = sealed()
    await expect(sessions.listSessions('alice')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' })
    await expect(sessions.revokeUserSessions('alice')).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
    })
    await expect(sessions.revokeSession('alice', 'x')).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
    })
  })

  it('logout clears the cookie', async () => {
    const { sessions } = sealed()
    const session = await sessions.load({ cookie: await signIn(sessions) })
    await session.logout()
    expect((await session.commit()).cookies[0]).toMatch(/Max-Age=0/)
  })
})

describe('seal parser', () => {
  const sealer = new Sealer(new KeyRing({ 3: TEST_SECRET }), 'session')
  const good = sealer.seal('{"hello":"world"}')

  it('opens what it sealed, and refuses other purposes', () => {
    expect(sealer.open(good)).toBe('{"hello":"world"}')
    expect(new Sealer(new KeyRing({ 3: TEST_SECRET }), 'cache').open(good)).toBeUndefined()
  })

  it.each([
    ['truncated', good.slice(0, -5)],
    ['padded', `${good}AAAA`],
    ['unknown key id', good.replace(/^k[^.]+\./, 'kAAAAAA.')],
    ['no key id', good.slice(2)],
    ['64 KB long', `3.${'A'.repeat(65_536)}`],
    ['empty', ''],
    ['non-canonical base64', `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`],
  ])('refuses a %s seal without throwing', (_title, value) => {
    expect(sealer.open(value)).toBeUndefined()
  })

  it('never throws and never opens random input (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 5000 }),
          fc
            .base64String({ maxLength: 400 })
            .map((b) => `3.${b.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '')}`),
        ),
        (value) => {
          expect(sealer.open(value)).toBeUndefined()
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('refuses every single-byte change of a real seal', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: good.length - 1 }),
        fc.constantFrom(...'ABCabc019-_'),
        (index, char) => {
          fc.pre(good[index] !== char)
          expect(sealer.open(good.slice(0, index) + char + good.slice(index + 1))).toBeUndefined()
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('sealed cookies with a revocation store', () => {
  it('a copied cookie is refused after logout, and other devices stay signed in', async () => {
    const { sessions } = sealed({ store: sealedCookies({ revocation: memoryStore() }) })
    const laptop = await signIn(sessions)
    const phone = await signIn(sessions)
    const session = await sessions.load({ cookie: laptop })
    await session.logout()
    await session.commit()
    expect((await sessions.load({ cookie: laptop })).isAuthenticated).toBe(false)
    expect((await sessions.load({ cookie: phone })).userId).toBe('alice')
  })

  it('the cookie from before a regenerate (role or password change) is refused', async () => {
    const { sessions } = sealed({ store: sealedCookies({ revocation: memoryStore() }) })
    const before = await signIn(sessions)
    const session = await sessions.load({ cookie: before })
    await session.login('alice', { roles: ['user'] }) // e.g. roles dropped from admin
    const after = cookiePair((await session.commit()).cookies[0])
    expect((await sessions.load({ cookie: before })).isAuthenticated).toBe(false)
    expect((await sessions.load({ cookie: after })).userId).toBe('alice')
  })

  it('many logouts keep the marker bounded and every logged-out cookie refused', async () => {
    const revocation = memoryStore()
    const { sessions } = sealed({ store: sealedCookies({ revocation }) })
    const cookies: string[] = []
    for (let i = 0; i < 30; i++) {
      const cookie = await signIn(sessions)
      cookies.push(cookie)
      await (await sessions.load({ cookie })).logout()
    }
    for (const cookie of cookies)
      expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
    expect(revocation.size).toBe(1)
  })
})
