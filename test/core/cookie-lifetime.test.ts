// A remember-me cookie can never be asked to outlive the 400 days browsers keep a cookie (RFC 6265bis), whatever the clock.
import { describe, expect, it } from 'vitest'
import { createSessions, type SecretOption } from '../../src/index.ts'
import { sealedCookies } from '../../src/sealed/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { testClock } from '../support/clock.ts'
import { cookiePair, testSessions, TEST_SECRET } from '../support/sessions.ts'

describe('persistent cookie lifetime', () => {
  it.each(['104w', '401d', 401 * 86_400] as const)(
    'rememberMeTimeout %s is refused at startup with CONFIG_INVALID saying why',
    (rememberMeTimeout) => {
      expect(() => createSessions({ secret: TEST_SECRET, rememberMeTimeout })).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringMatching(
            /rememberMeTimeout \(\d+ days\) is longer than 400 days.*RFC 6265bis/,
          ),
        }),
      )
    },
  )

  it("'400d' is accepted and the cookie's Max-Age is 400 days", async () => {
    const { sessions } = testSessions({ rememberMeTimeout: '400d', rememberMeIdleTimeout: '30d' })
    const session = await sessions.load()
    await session.login('alice', { rememberMe: true })
    const [cookie] = (await session.commit()).cookies
    expect(cookie).toMatch(/Max-Age=34560000(;|$)/)
  })
})

describe('Max-Age never exceeds 400 days, even from a server whose clock is behind', () => {
  const FOUR_HUNDRED_DAYS_S = 34_560_000
  const maxAgeOf = (setCookie: string | undefined): number =>
    Number(/Max-Age=(\d+)/.exec(setCookie ?? '')?.[1])

  /** Signs in on a server at T, then hands the cookie to a second server whose clock reads T - 5 s (an NTP step, a second host). */
  async function loginThenBehind(second: { secret?: SecretOption; sealed?: boolean }) {
    const clock = testClock()
    const behind = testClock(clock() - 5_000)
    const store = second.sealed ? sealedCookies() : memoryStore({ clock })
    const options = {
      store,
      cookie: { secure: false },
      rememberMeTimeout: '400d' as const,
      rememberMeIdleTimeout: '30d' as const,
    }
    const first = createSessions({ ...options, secret: TEST_SECRET, clock })
    const login = await first.load()
    await login.login('alice', { rememberMe: true })
    const cookie = cookiePair((await login.commit()).cookies[0])
    const later = createSessions({
      ...options,
      secret: second.secret ?? TEST_SECRET,
      clock: behind,
    })
    return later.load({ cookie })
  }

  it('regenerate() on the slower server', async () => {
    const session = await loginThenBehind({})
    await session.regenerate()
    const [cookie] = (await session.commit()).cookies
    expect(maxAgeOf(cookie)).toBe(FOUR_HUNDRED_DAYS_S)
  })

  it('a cookie re-signed under a new key on the slower server', async () => {
    const session = await loginThenBehind({
      secret: ['rotation-secret-B-9876543210-qrstuvwxyzABCDEF', TEST_SECRET],
    })
    expect(session.userId).toBe('alice')
    const [cookie] = (await session.commit()).cookies
    expect(maxAgeOf(cookie)).toBe(FOUR_HUNDRED_DAYS_S)
  })

  it('a sealed cookie written on the slower server', async () => {
    const session = await loginThenBehind({ sealed: true })
    session.set('theme', 'dark')
    const [cookie] = (await session.commit()).cookies
    expect(maxAgeOf(cookie)).toBe(FOUR_HUNDRED_DAYS_S)
  })
})
