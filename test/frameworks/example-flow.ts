// The Chromium flow every framework example passes: sign in (remember-me), reload, protected and admin pages, devices, sign out, replay.
import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from './harness.ts'
import { launchChromium } from './harness.ts'
import { OFF_SITE_NEXT, signInStaysOnSite } from './return-to-flow.ts'

/** The accounts every example ships (lib/users): Ada is an admin, Bob a member. */
export const ADA = { email: 'ada@example.com', password: 'correct horse battery staple' }
export const BOB = { email: 'bob@example.com', password: 'hunter2 hunter2' }

/**
 * Registers the shared Chromium tests for an example app (`start` builds and starts it once). The
 * examples share the pages, test ids and accounts: /login, /account (devices, sign out), /admin,
 * /api/auth/session and /api/admin/stats. `withoutJavaScript`: the sign-in form works with JavaScript off too.
 */
export function describeExampleFlow(
  name: string,
  start: () => Promise<RunningApp>,
  options: { withoutJavaScript?: boolean } = {},
): void {
  let app: RunningApp
  let browser: Browser
  /** Opens /account anonymously (the app sends the browser to /login), signs in, and lands back on /account. */
  async function signIn(
    page: Page,
    user: { email: string; password: string },
    remember = false,
  ): Promise<void> {
    await page.goto(`${app.origin}/account`)
    expect(new URL(page.url()).pathname).toBe('/login')
    await page.fill('input[name=email]', user.email)
    await page.fill('input[name=password]', user.password)
    if (remember) await page.check('input[name=remember]')
    await page.click('button[type=submit]')
    // The login redirects (a client-side navigation): wait for the account page or the error.
    await page.locator('[data-testid=who], [data-testid=login-error]').first().waitFor()
  }

  async function sessionCookie(context: BrowserContext): Promise<Cookie> {
    const cookie = (await context.cookies(app.origin)).find((c) => c.name === 'hp')
    if (!cookie) throw new Error('no session cookie in the browser')
    return cookie
  }

  async function status(
    page: Page,
  ): Promise<{ status: number; cacheControl: string | null; body: any }> {
    return page.evaluate(async () => {
      const response = await fetch('/api/auth/session')
      return {
        status: response.status,
        cacheControl: response.headers.get('cache-control'),
        body: await response.json(),
      }
    })
  }

  async function withContext<T>(
    fn: (context: BrowserContext, page: Page) => Promise<T>,
  ): Promise<T> {
    const context = await browser.newContext()
    try {
      return await fn(context, await context.newPage())
    } finally {
      await context.close()
    }
  }

  // A generous per-test limit: each test drives several pages while other test files may be building apps on the same two cores.
  describe(`${name} (Chromium)`, { timeout: 120_000 }, () => {
    beforeAll(async () => {
      app = await start()
      browser = await launchChromium()
    }, 600_000)
    afterAll(async () => {
      await browser?.close()
      await app?.stop()
    })

    it('signs in with remember-me: the page the login redirects to sees the session, and so does a reload', async () => {
      await withContext(async (context, page) => {
        await signIn(page, BOB, true)
        // The login redirected (Next: the account page renders in the action's own request) and that page read the session.
        expect(new URL(page.url()).pathname).toBe('/account')
        await expect(page.textContent('[data-testid=who]')).resolves.toContain(
          'Bob (bob@example.com), kept signed in',
        )
        const cookie = await sessionCookie(context)
        expect(cookie.httpOnly).toBe(true)
        expect(cookie.sameSite).toBe('Lax')
        expect(cookie.expires * 1000).toBeGreaterThan(Date.now() + 29 * 86_400_000)
        await page.reload()
        expect(new URL(page.url()).pathname).toBe('/account')
        await expect(page.textContent('[data-testid=nav-user]')).resolves.toBe('Signed in as Bob')
      })
    })

    it('a sign-in without remember-me sets a browser-session cookie; a wrong password signs nobody in', async () => {
      await withContext(async (context, page) => {
        await signIn(page, { ...BOB, password: 'wrong' })
        await expect(page.textContent('[data-testid=login-error]')).resolves.toContain(
          'Wrong email or password',
        )
        expect((await context.cookies(app.origin)).some((c) => c.name === 'hp')).toBe(false)
        await signIn(page, BOB)
        expect(new URL(page.url()).pathname).toBe('/account')
        expect((await sessionCookie(context)).expires).toBe(-1)
      })
    })

    it('answers the status endpoint contract of hallpass/client', async () => {
      await withContext(async (_context, page) => {
        await page.goto(`${app.origin}/`)
        const anonymous = await status(page)
        expect(anonymous).toEqual({
          status: 200,
          cacheControl: 'no-store',
          body: { authenticated: false },
        })
        await signIn(page, ADA)
        const signed = await status(page)
        expect(signed.status).toBe(200)
        expect(signed.cacheControl).toBe('no-store')
        expect(signed.body).toMatchObject({
          authenticated: true,
          user: { id: 'u-ada', name: 'Ada', role: 'admin' },
        })
        const { id, createdAt, expiresAt, idleExpiresAt } = signed.body.session
        expect(id).toMatch(/^[A-Za-z0-9_-]{26}$/)
        expect(createdAt).toBeLessThanOrEqual(idleExpiresAt)
        expect(idleExpiresAt).toBeLessThanOrEqual(expiresAt)
      })
    })

    it('role guard: a member is refused the admin page and API, an admin gets both', async () => {
      await withContext(async (_context, page) => {
        await signIn(page, BOB)
        await page.goto(`${app.origin}/admin`)
        await expect(page.textContent('[data-testid=denied]')).resolves.toContain(
          'Only administrators',
        )
        expect(await page.locator('[data-testid=admin]').count()).toBe(0)
        const api = await page.evaluate(() =>
          fetch('/api/admin/stats').then(async (r) => ({ status: r.status, body: await r.json() })),
        )
        expect(api).toEqual({
          status: 403,
          body: {
            error: { code: 'FORBIDDEN', message: 'You do not have access to this resource.' },
          },
        })
      })
      await withContext(async (_context, page) => {
        const anonymous = await page.request.get(`${app.origin}/api/admin/stats`)
        expect(anonymous.status()).toBe(401)
        await signIn(page, ADA)
        await page.goto(`${app.origin}/admin`)
        await expect(page.textContent('[data-testid=admin]')).resolves.toContain('Welcome')
        const api = await page.evaluate(() => fetch('/api/admin/stats').then((r) => r.status))
        expect(api).toBe(200)
      })
    })

    it('lists the devices of the user and revokes another one, which is signed out at its next request', async () => {
      await withContext(async (_laptopContext, laptop) => {
        await withContext(async (_phoneContext, phone) => {
          await signIn(phone, ADA)
          await signIn(laptop, ADA)
          await laptop.goto(`${app.origin}/account`)
          const devices = laptop.locator('[data-testid=device]')
          const before = await devices.count()
          expect(before).toBeGreaterThanOrEqual(2)
          await expect(
            laptop.locator('[data-testid=device]', { hasText: '(this device)' }).count(),
          ).resolves.toBe(1)
          // Revoke the newest other device: the phone signed in just before the laptop.
          await laptop
            .locator('[data-testid=device]', { hasNot: laptop.locator('text=(this device)') })
            .first()
            .locator('button')
            .click()
          await expect.poll(() => devices.count()).toBe(before - 1)
          await phone.goto(`${app.origin}/account`)
          expect(new URL(phone.url()).pathname).toBe('/login')
          await laptop.reload()
          expect(new URL(laptop.url()).pathname).toBe('/account')
        })
      })
    })

    it.each(OFF_SITE_NEXT)(
      'a sign-in from /login?next=%s lands on the site, never on another host',
      (raw) =>
        signInStaysOnSite(browser, app.origin, raw, {
          user: BOB,
          submit: 'button[type=submit]',
          withoutJavaScript: options.withoutJavaScript ?? false,
        }),
    )

    it('signs out; the old cookie replayed is refused', async () => {
      await withContext(async (context, page) => {
        await signIn(page, BOB, true)
        const old = await sessionCookie(context)
        await page.click('text=Sign out')
        await page.locator('h1', { hasText: 'Sign in' }).waitFor()
        expect(
          (await context.cookies(app.origin)).some((c) => c.name === 'hp' && c.value !== ''),
        ).toBe(false)
        await page.goto(`${app.origin}/account`)
        expect(new URL(page.url()).pathname).toBe('/login')
        // An attacker who kept the cookie: the server refuses it.
        await withContext(async (thief, thiefPage) => {
          await thief.addCookies([old])
          await thiefPage.goto(`${app.origin}/account`)
          expect(new URL(thiefPage.url()).pathname).toBe('/login')
          await expect(status(thiefPage)).resolves.toMatchObject({ body: { authenticated: false } })
        })
      })
    })
  })
}
