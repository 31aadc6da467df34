// Cookie cache: reads inside the window skip the store; revocation lag is bounded by cacheTtl; same-instance revokes are immediate.
import { describe, expect, it } from 'vitest'
import { createSessions, type Duration } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { countingStore } from '../support/counting-store.ts'
import { testClock } from '../support/clock.ts'
import { TEST_SECRET } from '../support/sessions.ts'

/** Two app instances sharing one store, each with its own cookie cache. */
function cluster(ttl: Duration = '30s') {
  const clock = testClock()
  const shared = memoryStore({ clock })
  const counted = countingStore(shared)
  const make = () =>
    createSessions({
      secret: TEST_SECRET,
      store: counted.store,
      clock,
      cookie: { secure: false },
      cookieCache: { ttl },
    })
  return { a: make(), b: make(), clock, calls: counted.calls }
}

/** Applies Set-Cookie values to a browser-like jar and returns the Cookie header. */
function jar() {
  const cookies = new Map<string, string>()
  return {
    apply(setCookies: string[]) {
      for (const sc of setCookies) {
        const [pair] = sc.split(';') as [string]
        const name = pair.slice(0, pair.indexOf('='))
        if (/Max-Age=0/.test(sc)) cookies.delete(name)
        else cookies.set(name, pair)
      }
    },
    get header() {
      return [...cookies.values()].join('; ')
    },
    names: () => [...cookies.keys()],
  }
}

async function signIn(sessions: ReturnType<typeof cluster>['a'], browser: ReturnType<typeof jar>) {
  const session = await sessions.load()
  await session.login('alice')
  session.set('n', 1)
  browser.apply((await session.commit()).cookies)
}

describe('cookie cache', () => {
  it('reads within the window touch no store', async () => {
    const { a, calls, clock } = cluster()
    const browser = jar()
    await signIn(a, browser)
    expect(browser.names()).toEqual(['hp', 'hp-c'])
    const before = calls.get
    for (let i = 0; i < 20; i++) {
      clock.advance(1_000)
      const session = await a.load({ cookie: browser.header })
      expect(session.get('n')).toBe(1)
      browser.apply((await session.commit()).cookies)
    }
    expect(calls.get).toBe(before)
  })

  it('an expired snapshot is never trusted', async () => {
    const { a, calls, clock } = cluster('30s')
    const browser = jar()
    await signIn(a, browser)
    clock.advance(30_000)
    const before = calls.get
    await a.load({ cookie: browser.header })
    expect(calls.get).toBe(before + 1)
  })

  it('a revoke on the same instance takes effect at once', async () => {
    const { a } = cluster()
    const browser = jar()
    await signIn(a, browser)
    expect(await a.revokeUserSessions('alice')).toBe(1)
    expect((await a.load({ cookie: browser.header })).isAuthenticated).toBe(false)
  })

  it('a revoke on another instance is seen within cacheTtl, never later', async () => {
    const { a, b, clock } = cluster('30s')
    const browser = jar()
    await signIn(a, browser)
    await b.revokeUserSessions('alice')
    clock.advance(29_000)
    expect((await a.load({ cookie: browser.header })).userId).toBe('alice') // inside the documented lag
    clock.advance(1_000)
    expect((await a.load({ cookie: browser.header })).isAuthenticated).toBe(false)
  })

  it('a write during the window cannot resurrect a session revoked elsewhere', async () => {
    const { a, b } = cluster()
    const browser = jar()
    await signIn(a, browser)
    await b.revokeUserSessions('alice')
    const stale = await a.load({ cookie: browser.header })
    stale.set('n', 2)
    const { cookies } = await stale.commit()
    expect(cookies.every((c) => /Max-Age=0/.test(c))).toBe(true)
    expect(await b.listSessions('alice')).toEqual([])
  })

  it('a snapshot from another session or a forged one is ignored', async () => {
    const { a, calls } = cluster()
    const alice = jar()
    const bob = jar()
    await signIn(a, alice)
    const session = await a.load()
    await session.login('bob')
    bob.apply((await session.commit()).cookies)
    const aliceCache = alice.header.split('; ').find((c) => c.startsWith('hp-c='))!
    const bobSession = bob.header.split('; ').find((c) => c.startsWith('hp='))!
    const before = calls.get
    expect((await a.load({ cookie: `${bobSession}; ${aliceCache}` })).userId).toBe('bob')
    expect((await a.load({ cookie: `${bobSession}; hp-c=1.AAAA` })).userId).toBe('bob')
    expect(calls.get).toBe(before + 2)
  })

  it('logout clears both cookies', async () => {
    const { a } = cluster()
    const browser = jar()
    await signIn(a, browser)
    const session = await a.load({ cookie: browser.header })
    await session.logout()
    browser.apply((await session.commit()).cookies)
    expect(browser.names()).toEqual([])
  })

  it('is refused with sealed cookies', async () => {
    const { sealedCookies } = await import('../../src/sealed/index.ts')
    expect(() =>
      createSessions({ secret: TEST_SECRET, store: sealedCookies(), cookieCache: true }),
    ).toThrow(/cookieCache/)
  })
})
