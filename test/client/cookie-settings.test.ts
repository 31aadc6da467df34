// Cookie settings changed between deploys, in Chromium's own cookie jar: after a change of Partitioned, SameSite or
// name, the browser holds exactly one session cookie, with the new settings, and stays signed in.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import type { CookieOptions } from '../../src/core/cookies.ts'
import { SERVERS, type Running } from '../scenarios/harness/servers.ts'
import { createWorld, redeploy, type World } from '../scenarios/harness/world.ts'
import { launchBrowser, type TestBrowser } from './harness.ts'

let browser: TestBrowser
let page: Page
const running: Running[] = []

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(() => browser?.close())
beforeEach(async () => {
  page = await browser.context.newPage()
})
afterEach(async () => {
  await page.close()
  await browser.context.clearCookies()
  await Promise.all(running.splice(0).map((app) => app.close()))
})

/** Serves the scenario app with `cookie` (sharing store and clock with `after`) on a new port of the same host. */
async function deploy(
  cookie: CookieOptions,
  after?: World,
): Promise<{ world: World; url: string }> {
  const world = after ? redeploy(after, cookie) : createWorld('store', { cookie })
  const app = await SERVERS.node(world)
  running.push(app)
  return { world, url: app.url }
}

/** Who the browser is on `url`, by a top-level navigation (the browser sends and stores cookies itself). */
async function whoami(url: string): Promise<{ userId: string | null; id: string | null }> {
  const response = await page.goto(`${url}/whoami`)
  return (await response?.json()) as { userId: string | null; id: string | null }
}

/** The session cookies Chromium holds, whatever their name or partition. */
async function sessionCookies() {
  return (await browser.context.cookies()).filter((c) => c.name.startsWith('__Host-'))
}

describe('cookie settings changed between deploys, in Chromium', () => {
  it('Partitioned on, then off again: one cookie each time, and the same signed-in session', async () => {
    const first = await deploy({ secure: true })
    await page.goto(`${first.url}/whoami`)
    const login = (await page.evaluate(() =>
      fetch('/login?user=alice', { method: 'POST' }).then((r) => r.json()),
    )) as { id: string }
    expect(await sessionCookies()).toHaveLength(1)
    let previous = first.world
    for (const partitioned of [true, false]) {
      const next = await deploy({ secure: true, partitioned }, previous)
      expect(await whoami(next.url)).toMatchObject({ userId: 'alice', id: login.id }) // re-issued here
      const held = await sessionCookies()
      expect(held).toHaveLength(1)
      expect(held[0]?.partitionKey !== undefined).toBe(partitioned)
      expect(await whoami(next.url)).toMatchObject({ userId: 'alice', id: login.id }) // and sent alone
      previous = next.world
    }
  })

  it("sameSite 'lax' → 'strict', then a rename: one cookie with the new settings, the same session", async () => {
    const first = await deploy({ secure: true })
    await page.goto(`${first.url}/whoami`)
    const login = (await page.evaluate(() =>
      fetch('/login?user=alice', { method: 'POST' }).then((r) => r.json()),
    )) as { id: string }
    const strict = await deploy({ secure: true, sameSite: 'strict' }, first.world)
    expect(await whoami(strict.url)).toMatchObject({ userId: 'alice', id: login.id })
    expect((await sessionCookies()).map((c) => [c.name, c.sameSite])).toEqual([
      ['__Host-hp', 'Strict'],
    ])
    const renamed = await deploy(
      { secure: true, sameSite: 'strict', name: '__Host-sid', previousNames: ['__Host-hp'] },
      strict.world,
    )
    expect(await whoami(renamed.url)).toMatchObject({ userId: 'alice', id: login.id })
    expect((await sessionCookies()).map((c) => c.name)).toEqual(['__Host-sid'])
    expect(await whoami(renamed.url)).toMatchObject({ userId: 'alice', id: login.id })
  })
})
