// Cookie settings changed between deploys reach existing cookies on their next response, same token and no store
// write, on every adapter: SameSite, Partitioned (with the other partition state cleared first) and a renamed cookie.
import { afterEach, expect, it } from 'vitest'
import type { CookieOptions } from '../../src/core/cookies.ts'
import type { Browser, Reply } from './harness/client.ts'
import { describeMatrix, startDoor, type Scenario } from './harness/matrix.ts'
import type { Running } from './harness/servers.ts'
import { createWorld, redeploy, type World } from './harness/world.ts'

const token = (setCookie: string): string =>
  (setCookie.split(';')[0] as string).split('=')[1]?.split('.')[1] as string
const isClear = (setCookie: string): boolean => /max-age=0/i.test(setCookie)
const SECURE: CookieOptions = { secure: true }

describeMatrix('cookie settings changed between deploys', (s: Scenario) => {
  const running: Running[] = []
  afterEach(async () => void (await Promise.all(running.splice(0).map((app) => app.close()))))

  /** Deploys `cookie` (sharing the store and clock of `after` when given) and points `browser` at it. */
  async function deploy(
    cookie: CookieOptions,
    browser?: Browser,
    after?: World,
  ): Promise<{ world: World; browser: Browser }> {
    const world = after ? redeploy(after, cookie) : createWorld('store', { cookie })
    const app = await startDoor(s.adapter, world)
    running.push(app)
    return { world, browser: browser ? browser.at(app.url) : s.newBrowser().at(app.url) }
  }

  /** Signs alice in under `first`, redeploys with `second`, and makes one read there. */
  async function changeSettings(first: CookieOptions, second: CookieOptions) {
    const one = await deploy(first)
    const login = await one.browser.post('/login?user=alice')
    const issued = login.setCookies.find((c) => !isClear(c)) as string
    const two = await deploy(second, one.browser, one.world)
    const read = await two.browser.get('/whoami')
    return { login, issued, two, read }
  }

  /**
   * The read's Set-Cookie values re-issue the same token under the new settings without a store write (the record is
   * still the login's first version), and the next read needs nothing.
   */
  async function expectReissued(
    read: Reply,
    issued: string,
    browser: Browser,
    id: string,
    world: World,
  ) {
    const reissued = read.setCookies.filter((c) => !isClear(c))
    expect(reissued).toHaveLength(1)
    expect(token(reissued[0] as string)).toBe(token(issued))
    expect(read.json).toMatchObject({ userId: 'alice', id })
    expect(await world.store.get(id)).toMatchObject({ id, version: 1 })
    const next = await browser.get('/whoami')
    expect(next.json).toMatchObject({ userId: 'alice', id })
    expect(next.setCookies).toEqual([])
    return reissued[0] as string
  }

  it("sameSite 'none' → 'strict': the next read re-issues the cookie with SameSite=Strict", async () => {
    const { login, issued, two, read } = await changeSettings(
      { ...SECURE, sameSite: 'none' },
      { ...SECURE, sameSite: 'strict' },
    )
    expect(issued).toMatch(/SameSite=None/i)
    expect(read.setCookies.filter(isClear)).toEqual([]) // the new cookie replaces the old one in place
    expect(await expectReissued(read, issued, two.browser, login.json.id, two.world)).toMatch(
      /SameSite=Strict/i,
    )
  })

  it('partitioned off → on, and back: the other partition state is cleared first, then the cookie is re-issued', async () => {
    const { login, issued, two, read } = await changeSettings(SECURE, {
      ...SECURE,
      partitioned: true,
    })
    expect(issued).not.toMatch(/Partitioned/i)
    expect(read.setCookies).toHaveLength(2)
    expect(read.setCookies[0]).toMatch(/^__Host-hp=;/)
    expect(read.setCookies[0]).not.toMatch(/Partitioned/i)
    expect(isClear(read.setCookies[0] as string)).toBe(true)
    const partitioned = await expectReissued(read, issued, two.browser, login.json.id, two.world)
    expect(partitioned).toMatch(/Partitioned/i)
    const three = await deploy(SECURE, two.browser, two.world)
    const back = await three.browser.get('/whoami')
    expect(back.setCookies[0]).toMatch(/^__Host-hp=;.*Partitioned/i)
    expect(isClear(back.setCookies[0] as string)).toBe(true)
    expect(
      await expectReissued(back, issued, three.browser, login.json.id, three.world),
    ).not.toMatch(/Partitioned/i)
  })

  it('a renamed cookie is read under its previous name, re-issued under the new one, and the old one cleared', async () => {
    const { login, issued, two, read } = await changeSettings(SECURE, {
      ...SECURE,
      name: '__Host-sid',
      previousNames: ['__Host-hp'],
    })
    expect(read.setCookies).toHaveLength(2)
    expect(read.setCookies[0]).toMatch(/^__Host-hp=;.*Max-Age=0/i)
    expect(read.setCookies[0]).toMatch(/Path=\//)
    expect(read.setCookies[0]).not.toMatch(/Domain=/i)
    expect(read.setCookies[1]).toMatch(/^__Host-sid=/)
    await expectReissued(read, issued, two.browser, login.json.id, two.world)
    expect(two.browser.cookie).toMatch(/^__Host-sid=[^;]+$/)
  })
})
