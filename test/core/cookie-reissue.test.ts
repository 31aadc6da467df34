// Cookies issued under other attributes or a previous name are re-issued, same token and no store write, on their
// next response; the other partition state and old names are cleared; look-alikes and duplicates still fail closed.
import { describe, expect, it } from 'vitest'
import { createSessions, type SessionsOptions } from '../../src/index.ts'
import type { CookieOptions } from '../../src/core/cookies.ts'
import { sealedCookies } from '../../src/sealed/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import type { Store } from '../../src/stores/types.ts'
import { testClock } from '../support/clock.ts'
import { countingStore } from '../support/counting-store.ts'
import { cookiePair, TEST_SECRET } from '../support/sessions.ts'

const clears = (setCookie: string | undefined): boolean => /Max-Age=0/.test(setCookie ?? '')
const tokenOf = (pair: string): string => (pair.split('=')[1] as string).split('.')[1] as string

/** Deploys of one app on one store and clock, each with its own cookie settings. */
function app(extra: Partial<SessionsOptions> = {}) {
  const clock = testClock()
  const counted = countingStore(memoryStore({ clock }))
  const deploy = (
    cookie: CookieOptions,
    store: Store | ReturnType<typeof sealedCookies> = counted.store,
  ) => createSessions({ secret: TEST_SECRET, store, clock, cookie, ...extra })
  return {
    clock,
    calls: counted.calls,
    deploy,
    writes: () => counted.calls.create + counted.calls.patch,
  }
}

async function signIn(sessions: ReturnType<ReturnType<typeof app>['deploy']>, rememberMe = false) {
  const session = await sessions.load()
  await session.login('alice', { rememberMe })
  const cookies = (await session.commit()).cookies
  return { id: session.id as string, cookies, pair: cookiePair(cookies.find((c) => !clears(c))) }
}

describe('cookie attributes changed between deploys', () => {
  it('a touch and a write also carry the re-issued cookie, once; a remember-me cookie keeps its Max-Age', async () => {
    const { deploy, clock, writes } = app()
    const { pair, id } = await signIn(deploy({ sameSite: 'none' }), true)
    const strict = deploy({ sameSite: 'strict' })
    clock.advance(61_000) // a touch is due
    const touched = await strict.load({ cookie: pair })
    const before = writes()
    const [reissued, ...rest] = (await touched.commit()).cookies
    expect(writes()).toBe(before + 1) // the touch, nothing more
    expect(rest).toEqual([])
    expect(reissued).toMatch(/SameSite=Strict/)
    expect(reissued).toMatch(/Max-Age=2591939(;|$)/) // 30 days less the 61 s since login
    expect(tokenOf(cookiePair(reissued))).toBe(tokenOf(pair))
    const writing = await strict.load({ cookie: pair })
    writing.set('k', 'v')
    const written = (await writing.commit()).cookies
    expect(
      written.filter((c) => c.startsWith('__Host-hp=') && /SameSite=Strict/.test(c)),
    ).toHaveLength(1)
    const current = await strict.load({ cookie: cookiePair(reissued) })
    expect(current.id).toBe(id)
    expect((await current.commit()).cookies).toEqual([])
  })

  it('a cookie without an attribute code (the format of unreleased builds) is anonymous', async () => {
    const { deploy } = app()
    const sessions = deploy({})
    const { pair, id } = await signIn(sessions)
    const [name, value] = pair.split('=') as [string, string]
    const [kid, body] = value.split('.') as [string, string]
    const { createHmac, hkdfSync, createHash } = await import('node:crypto')
    // That format: <kid>.<tag+token>.<mac over tag+token>, with the same key, so only the format is refused.
    const key = Buffer.from(hkdfSync('sha256', TEST_SECRET, 'hallpass', 'hallpass:cookie:v1', 32))
    expect(
      `k${createHash('sha256').update('hallpass:kid:v1').update(key).digest('base64url').slice(0, 6)}`,
    ).toBe(kid)
    const legacy = `${name}=${kid}.${body}.${createHmac('sha256', key).update(body).digest('base64url')}`
    const carried = await sessions.load({ cookie: legacy })
    expect(carried.isAuthenticated).toBe(false)
    expect(carried.userId).toBe(null)
    expect((await sessions.load({ cookie: pair })).id).toBe(id)
  })

  it('an expired cookie issued in the other partition state is cleared in that state too', async () => {
    const { deploy, clock } = app()
    const { pair } = await signIn(deploy({}))
    clock.advance(24 * 3_600_000)
    const expired = await deploy({ partitioned: true }).load({ cookie: pair })
    expect(expired.isAuthenticated).toBe(false)
    const cookies = (await expired.commit()).cookies
    expect(cookies.every(clears)).toBe(true)
    expect(cookies.map((c) => /Partitioned/.test(c))).toEqual([false, true])
  })

  it('sealed cookies are re-sealed with the current attributes, the same record', async () => {
    const { deploy } = app()
    const first = deploy({ sameSite: 'lax' }, sealedCookies())
    const session = await first.load()
    session.set('theme', 'dark')
    const sealed = cookiePair((await session.commit()).cookies[0])
    const strict = deploy({ sameSite: 'strict', partitioned: true }, sealedCookies())
    const carried = await strict.load({ cookie: sealed })
    expect(carried.get('theme')).toBe('dark')
    const cookies = (await carried.commit()).cookies
    expect(cookies).toHaveLength(2)
    expect(cookies[0]).not.toMatch(/Partitioned/)
    expect(clears(cookies[0])).toBe(true)
    expect(cookies[1]).toMatch(/Partitioned; SameSite=Strict$/)
    const resealed = await strict.load({ cookie: cookiePair(cookies[1]) })
    expect(resealed.id).toBe(carried.id)
    expect((await resealed.commit()).cookies).toEqual([])
  })
})

describe('cookie.previousNames', () => {
  const RENAMED: CookieOptions = { name: '__Host-sid', previousNames: ['__Host-hp'] }

  it('a request with only the old name is the same session, answered with the new name and the old one cleared, no store write', async () => {
    const { deploy, writes } = app()
    const { pair, id } = await signIn(deploy({}))
    const renamed = deploy(RENAMED)
    const carried = await renamed.load({ cookie: pair })
    expect(carried).toMatchObject({ id, userId: 'alice' })
    const before = writes()
    const [old, current, ...rest] = (await carried.commit()).cookies
    expect(writes()).toBe(before)
    expect(rest).toEqual([])
    expect(old).toBe('__Host-hp=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax')
    expect(cookiePair(current)).toBe(`__Host-sid=${pair.split('=')[1]}`)
  })

  it('an old name without a prefix is cleared with the current path and domain; a __Host- one with Path=/ and no Domain', async () => {
    const { deploy } = app()
    const { pair } = await signIn(deploy({ name: 'hp', domain: 'example.com', path: '/app' }))
    const [old] = (
      await (
        await deploy({
          name: 'sid',
          domain: 'example.com',
          path: '/app',
          previousNames: ['hp'],
        }).load({ cookie: pair })
      ).commit()
    ).cookies
    expect(old).toMatch(/^hp=; Max-Age=0; Domain=example\.com; Path=\/app; HttpOnly; Secure/)
    const { pair: hostPair } = await signIn(deploy({}))
    const moved = deploy({
      name: '__Secure-sid',
      domain: 'example.com',
      path: '/app',
      previousNames: ['__Host-hp'],
    })
    const [hostOld, renewed] = (await (await moved.load({ cookie: hostPair })).commit()).cookies
    expect(hostOld).toBe('__Host-hp=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax')
    expect(renewed).toMatch(/^__Secure-sid=.*Domain=example\.com; Path=\/app/)
  })

  it('both names present: the current one wins and the old one is neither read nor cleared', async () => {
    const { deploy } = app()
    const before = deploy({})
    const alice = await signIn(before)
    const bob = await before.load()
    await bob.login('bob')
    const bobPair = cookiePair((await bob.commit()).cookies[0])
    const renamed = deploy(RENAMED)
    expect((await renamed.load({ cookie: bobPair })).userId).toBe('bob') // alone, the old name is read
    const current = `__Host-sid=${alice.pair.split('=')[1]}`
    const session = await renamed.load({ cookie: `${bobPair}; ${current}` })
    expect(session.userId).toBe('alice')
    expect((await session.commit()).cookies).toEqual([])
    // Duplicates or look-alikes under the old name do not matter while the current name is there...
    expect((await renamed.load({ cookie: `${bobPair}; ${bobPair}; ${current}` })).userId).toBe(
      'alice',
    )
  })

  it('without the current name, duplicates and look-alikes of the old name fail closed: anonymous, no store lookup, nothing cleared', async () => {
    const { deploy, calls } = app()
    const { pair } = await signIn(deploy({}))
    const renamed = deploy(RENAMED)
    expect((await renamed.load({ cookie: pair })).userId).toBe('alice') // alone, the old name is read
    const lookups = calls.get
    for (const cookie of [
      `${pair}; ${pair}`,
      `${pair}; ${pair.replace('__Host-hp', '__host-HP')}`,
    ]) {
      const session = await renamed.load({ cookie })
      expect(session.isAuthenticated).toBe(false)
      expect((await session.commit()).cookies).toEqual([])
    }
    expect(calls.get).toBe(lookups)
    // A look-alike of the current name still fails closed, whatever the old name holds.
    expect((await renamed.load({ cookie: `${pair}; __HOST-sid=x` })).isAuthenticated).toBe(false)
  })

  it('a forged or ended cookie under the old name is cleared under the old name', async () => {
    const { deploy } = app()
    const before = deploy({})
    const { pair } = await signIn(before)
    const renamed = deploy(RENAMED)
    const forged = await renamed.load({ cookie: `${pair.slice(0, -3)}AAA` })
    expect((await forged.commit()).cookies[0]).toMatch(/^__Host-hp=; Max-Age=0/)
    await before.revokeUserSessions('alice')
    const ended = await renamed.load({ cookie: pair })
    expect(ended.isAuthenticated).toBe(false)
    const cookies = (await ended.commit()).cookies
    expect(cookies.every(clears)).toBe(true)
    expect(cookies.map((c) => c.split('=')[0])).toEqual(['__Host-hp', '__Host-sid'])
  })

  it('logout or login from a request that came with the old name clears the old name too', async () => {
    const { deploy } = app()
    const { pair } = await signIn(deploy({}))
    const renamed = deploy(RENAMED)
    const leaving = await renamed.load({ cookie: pair })
    await leaving.logout()
    expect((await leaving.commit()).cookies.map((c) => [c.split('=')[0], clears(c)])).toEqual([
      ['__Host-hp', true],
      ['__Host-sid', true],
    ])
    const { pair: again } = await signIn(deploy({}))
    const switching = await renamed.load({ cookie: again })
    await switching.login('bob')
    const [old, fresh] = (await switching.commit()).cookies
    expect(old).toMatch(/^__Host-hp=; Max-Age=0/)
    expect(fresh).toMatch(/^__Host-sid=k/)
  })

  it("with the cookie cache on, the old name's cache cookie is cleared too", async () => {
    const { deploy } = app({ cookieCache: true })
    const { pair } = await signIn(deploy({}))
    const cookies = (await (await deploy(RENAMED).load({ cookie: pair })).commit()).cookies
    expect(cookies.map((c) => [c.split('=')[0], clears(c)])).toEqual([
      ['__Host-hp', true],
      ['__Host-hp-c', true],
      ['__Host-sid', false],
      ['__Host-sid-c', false],
    ])
  })
})
