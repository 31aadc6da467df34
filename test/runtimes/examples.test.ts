// The Bun (Hono) and Deno (Deno.serve) examples on their real runtimes, driven by Chromium: sign in, see the session, sign out, replay.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium.ts'
import { startRuntime, type RuntimeName, type RuntimeProcess } from '../support/runtimes.ts'

const EXAMPLES: ReadonlyArray<{ runtime: RuntimeName; entry: string; permissions: string[] }> = [
  { runtime: 'bun', entry: 'examples/bun-hono/server.ts', permissions: [] },
  // Exactly the permissions docs/runtimes/deno.md gives: hallpass reads no other variable, and no file.
  {
    runtime: 'deno',
    entry: 'examples/deno/main.ts',
    permissions: ['--allow-net=127.0.0.1', '--allow-env=SESSION_SECRET,PLAIN_HTTP,PORT'],
  },
]
const ENV = {
  SESSION_SECRET: 'Pw7eR2tY9uI4oP1aS6dF3gH8jK0lZ5xC2vB7nM4qW9e',
  PLAIN_HTTP: '1',
  PORT: '0',
}

let chromium: Browser
beforeAll(async () => {
  chromium = await launchChromium()
})
afterAll(async () => chromium?.close())

const who = (page: Page): Promise<string | null> => page.textContent('[data-testid=who]')
/** The session cookie (the form's CSRF token cookie, `hp-csrf`, is not it). */
const sessionCookies = async (context: BrowserContext, origin: string) =>
  (await context.cookies(origin)).filter((cookie) => cookie.name === 'hp')

for (const example of EXAMPLES) {
  // A generous per-test limit: Chromium drives several pages while other test files share the two cores.
  describe(`${example.entry} on ${example.runtime} (Chromium)`, { timeout: 60_000 }, () => {
    let app: RuntimeProcess
    let origin: string
    beforeAll(async () => {
      app = await startRuntime(example.runtime, example.entry, ENV, example.permissions)
      origin = new URL(/http:\/\/\S+/.exec(app.ready)?.[0] ?? '').origin
    })
    afterAll(async () => app?.stop())

    it('signs in, sees the session on every page, signs out, and a replay of the old cookie is signed out', async () => {
      const context = await chromium.newContext()
      try {
        const page = await context.newPage()
        await page.goto(origin)
        await expect(who(page)).resolves.toBe('Not signed in')
        await page.fill('input[name=user]', 'ada')
        await page.fill('input[name=password]', 'correct horse')
        await Promise.all([page.waitForURL(`${origin}/`), page.click('text=Sign in')])
        await expect(who(page)).resolves.toBe('Signed in as ada (visit 1)')
        await page.reload()
        await expect(who(page)).resolves.toBe('Signed in as ada (visit 2)')
        const [cookie] = await sessionCookies(context, origin)
        expect(cookie).toMatchObject({ name: 'hp', httpOnly: true, sameSite: 'Lax' })

        await Promise.all([page.waitForURL(`${origin}/`), page.click('text=Sign out')])
        await expect(who(page)).resolves.toBe('Not signed in')
        expect(await sessionCookies(context, origin)).toEqual([])

        await context.addCookies([cookie as NonNullable<typeof cookie>])
        await page.reload()
        await expect(who(page)).resolves.toBe('Not signed in')
      } finally {
        await context.close()
      }
    })

    it('a wrong password signs nobody in', async () => {
      const context = await chromium.newContext()
      try {
        const page = await context.newPage()
        await page.goto(origin)
        await page.fill('input[name=user]', 'ada')
        await page.fill('input[name=password]', 'wrong')
        const [reply] = await Promise.all([
          page.waitForResponse(`${origin}/login`),
          page.click('text=Sign in'),
        ])
        expect(reply.status()).toBe(401)
        expect(await sessionCookies(context, origin)).toEqual([])
      } finally {
        await context.close()
      }
    })
  })
}
