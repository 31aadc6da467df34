// The rotation race in Chromium's own cookie jar: a request in flight with the pre-rotation cookie never signs the user out.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { SERVERS, type Running } from '../scenarios/harness/servers.ts'
import { createWorld, gate, type World } from '../scenarios/harness/world.ts'
import { launchBrowser, type TestBrowser } from './harness.ts'

let browser: TestBrowser
let world: World
let app: Running
let page: Page

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(() => browser?.close())
beforeEach(async () => {
  world = createWorld()
  app = await SERVERS.node(world)
  page = await browser.context.newPage()
  await page.goto(`${app.url}/whoami`)
})
afterEach(async () => {
  await page.close()
  await browser.context.clearCookies()
  await app.close()
})

/** Runs `fetch(path)` in the page and keeps its promise under `name`, so the test can await it later. */
async function start(name: string, method: string, path: string): Promise<void> {
  await page.evaluate(
    ([n, m, p]) => {
      const w = window as unknown as Record<string, Promise<unknown>>
      w[n as string] = fetch(p as string, { method: m as string }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }))
    },
    [name, method, path],
  )
}
const result = (
  name: string,
): Promise<{ status: number; body: { userId: string | null; id: string | null } }> =>
  page.evaluate(
    (n) => (window as unknown as Record<string, Promise<never>>)[n] as Promise<never>,
    name,
  )
const jar = async (): Promise<string | undefined> =>
  (await browser.context.cookies()).find((c) => c.name === world.sessions.cookie.name)?.value
const whoami = async () =>
  (await page.evaluate(() => fetch('/whoami').then((r) => r.json()))) as {
    userId: string | null
    id: string | null
  }

describe('rotation race in Chromium', () => {
  for (const how of ['regenerate', 'login'] as const) {
    it(`${how}: a slow request sent before the rotation and answered after it leaves the user signed in`, async () => {
      await start(
        'first',
        'POST',
        how === 'regenerate' ? '/login?user=alice' : '/set?key=cart&value=book',
      )
      await result('first')
      const before = await jar()
      world.clock.advance(61_000) // the slow request's touch has come due: it writes at commit
      await start('slow', 'GET', '/slow?gate=slow&set=lastPage')
      await gate(world.hooks, 'slow').reached
      await start('rotation', 'POST', `/rotate?how=${how}`)
      const rotated = await result('rotation')
      const after = await jar()
      expect(after).toBeDefined()
      expect(after).not.toBe(before)
      gate(world.hooks, 'slow').open()
      expect((await result('slow')).status).toBe(200)
      expect(await jar()).toBe(after)
      expect(await whoami()).toMatchObject({ userId: 'alice', id: rotated.body.id })
    })
  }

  it('a request sent with the old cookie while the rotation is in flight, answered after it, is anonymous and clears nothing', async () => {
    await start('first', 'POST', '/login?user=alice')
    await result('first')
    await start('rotation', 'POST', '/rotate?how=regenerate&gate=rotation')
    await gate(world.hooks, 'rotation').reached
    await start('late', 'GET', '/slow?gate=late&set=lastPage') // the browser still holds the old cookie
    await gate(world.hooks, 'late').reached
    gate(world.hooks, 'rotation').open()
    const rotated = await result('rotation')
    const after = await jar()
    gate(world.hooks, 'late').open()
    expect((await result('late')).body.userId).toBeNull()
    expect(await jar()).toBe(after)
    expect(await whoami()).toMatchObject({ userId: 'alice', id: rotated.body.id })
  })
})
