// The browser flow the Astro and SvelteKit examples share (same paths and element ids): sign in, reload, guards, devices, sign out, replay.
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, type RunningApp } from './harness.ts'
import { OFF_SITE_NEXT, signInStaysOnSite } from './return-to-flow.ts'

/** The running example and the browser, for a suite's own tests. */
export interface ExampleEnv {
  readonly app: RunningApp
  readonly browser: Browser
}

/**
 * One suite per example: `start` builds and starts it once, Chromium is launched once, the shared flows
 * below run as tests, and `more` adds the framework's own tests.
 */
export function exampleSuite(
  title: string,
  start: () => Promise<RunningApp>,
  more: (env: () => ExampleEnv) => void,
): void {
  let app: RunningApp | undefined
  let browser: Browser | undefined
  const env = (): ExampleEnv => ({ app: app as RunningApp, browser: browser as Browser })
  beforeAll(async () => {
    app = await start()
    browser = await launchChromium()
  }, 300_000)
  afterAll(async () => {
    await browser?.close()
    await app?.stop()
  })
  describe(title, { timeout: 60_000 }, () => {
    it('sign in with remember-me, reload, the protected page, a role denied, sign out, the old cookie refused', () =>
      signInFlow(env().browser, env().app.origin))
    it('an admin reaches the page behind the role guard', () =>
      adminFlow(env().browser, env().app.origin))
    it('the device list revokes another device, which is signed out at once', () =>
      revokeFlow(env().browser, env().app.origin))
    it('the login throttle: an address that sprays 50 wrong passwords is locked out, the others are not', () =>
      throttleFlow(env().app.origin))
    it.each(OFF_SITE_NEXT)(
      'a sign-in from /login?next=%s lands on the site, never on another host',
      (raw) =>
        signInStaysOnSite(env().browser, env().app.origin, raw, { user: BOB, submit: '#sign-in' }),
    )
    more(env)
  })
}

/** The example accounts (examples/<framework>/src/lib/server/users.ts). */
export const ADA = { email: 'ada@example.com', password: 'correct horse', name: 'Ada' } // admin
export const BOB = { email: 'bob@example.com', password: 'battery staple', name: 'Bob' }

/** Signs in through the example's /login form and waits for the page it lands on. */
export async function signIn(
  page: Page,
  origin: string,
  user: { email: string; password: string },
  options: { remember?: boolean; from?: string } = {},
): Promise<void> {
  await page.goto(origin + (options.from ?? '/login'))
  await page.fill('input[name=email]', user.email)
  await page.fill('input[name=password]', user.password)
  if (options.remember) await page.check('input[name=remember]')
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/login')),
    page.click('#sign-in'),
  ])
}

/** The session cookie as Chromium holds it. */
export async function sessionCookie(context: BrowserContext, origin: string, name = 'hp') {
  return (await context.cookies(origin)).find((cookie) => cookie.name === name)
}

/** What the status endpoint says for this Cookie header. */
export async function statusFor(
  origin: string,
  cookie: string,
): Promise<{ authenticated: boolean; user?: { name: string }; session?: { id: string } }> {
  const response = await fetch(origin + '/api/auth/session', { headers: { cookie } })
  expect(response.status).toBe(200)
  expect(response.headers.get('cache-control')).toContain('no-store')
  return (await response.json()) as { authenticated: boolean }
}

/**
 * The whole flow in Chromium: a guarded page sends the visitor to sign in, a remember-me sign-in lands
 * back on it and survives a reload, the admin page answers 403 to a non-admin, the status endpoint
 * follows the docs/client.md contract, sign-out ends it, and the old cookie replayed is refused.
 */
export async function signInFlow(browser: Browser, origin: string): Promise<void> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(origin + '/account')
    expect(new URL(page.url()).pathname).toBe('/login')

    await signIn(page, origin, BOB, {
      remember: true,
      from: new URL(page.url()).pathname + new URL(page.url()).search,
    })
    expect(new URL(page.url()).pathname).toBe('/account')
    await expect.poll(() => page.textContent('#persistent')).toContain('Remembered')
    const cookie = await sessionCookie(context, origin)
    expect(cookie?.httpOnly).toBe(true)
    expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 86400) // remember-me: a persistent cookie

    await page.reload()
    expect(new URL(page.url()).pathname).toBe('/account')
    expect(await page.textContent('#who')).toContain(BOB.name)

    const admin = await page.goto(origin + '/admin')
    expect(admin?.status()).toBe(403)
    expect(await page.locator('#admin').count()).toBe(0)

    const header = `hp=${cookie?.value}`
    const status = await statusFor(origin, header)
    expect(status).toMatchObject({ authenticated: true, user: { name: BOB.name } })
    expect(status.session?.id).toMatch(/^[A-Za-z0-9_-]{26}$/)

    await page.goto(origin + '/account')
    await Promise.all([page.waitForURL(origin + '/'), page.click('#sign-out')])
    expect(await page.locator('#sign-in-link').count()).toBe(1)
    expect((await sessionCookie(context, origin))?.value ?? '').toBe('')

    // The old cookie, replayed by someone who kept a copy, is refused everywhere.
    expect(await statusFor(origin, header)).toEqual({ authenticated: false })
    const replay = await fetch(origin + '/account', {
      headers: { cookie: header },
      redirect: 'manual',
    })
    expect([302, 303]).toContain(replay.status)
    expect(replay.headers.get('location')).toMatch(/^(http:\/\/[^/]+)?\/login/)
  } finally {
    await context.close()
  }
}

/** An admin signs in and sees the admin page. */
export async function adminFlow(browser: Browser, origin: string): Promise<void> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await signIn(page, origin, ADA)
    const response = await page.goto(origin + '/admin')
    expect(response?.status()).toBe(200)
    expect(await page.textContent('#admin')).toBe('Admin')
  } finally {
    await context.close()
  }
}

/** Two browsers sign in as the same user; the first revokes the second from the device list, which is then signed out. */
export async function revokeFlow(browser: Browser, origin: string): Promise<void> {
  const [laptop, phone] = [
    await browser.newContext(),
    await browser.newContext({
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1',
    }),
  ]
  try {
    const phonePage = await phone.newPage()
    await signIn(phonePage, origin, ADA)
    const phoneId = (await statusFor(origin, `hp=${(await sessionCookie(phone, origin))?.value}`))
      .session?.id
    const page = await laptop.newPage()
    await signIn(page, origin, ADA)
    await page.goto(origin + '/account')
    const row = page.locator(`#devices li[data-id="${phoneId}"]`)
    expect(await row.textContent()).toContain('Safari on iOS')
    await Promise.all([page.waitForLoadState('load'), row.locator('button').click()])
    await expect.poll(() => page.locator(`#devices li[data-id="${phoneId}"]`).count()).toBe(0)
    await phonePage.goto(origin + '/account')
    expect(new URL(phonePage.url()).pathname).toBe('/login')
    await page.reload()
    expect(new URL(page.url()).pathname).toBe('/account')
  } finally {
    await Promise.all([laptop.close(), phone.close()])
  }
}

/** What a sign-in POST got back. */
interface LoginAnswer {
  readonly status: number
  readonly retryAfter: string | undefined
}

/** POSTs the sign-in form (same Origin, as a browser does) from a chosen loopback address; resolves with the status. */
function postLogin(
  origin: string,
  from: string,
  fields: Record<string, string>,
): Promise<LoginAnswer> {
  const body = new URLSearchParams(fields).toString()
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${origin}/login`,
      {
        method: 'POST',
        localAddress: from,
        headers: {
          origin,
          accept: 'text/html',
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        response.resume()
        const retryAfter = response.headers['retry-after']
        response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter }))
      },
    )
    request.once('error', reject)
    request.end(body)
  })
}

/**
 * The login throttle is on: one client address (127.0.0.2) sprays wrong passwords over 51 accounts. The first
 * 50 are checked (400, "wrong email or password"); then that address is locked out (429 with Retry-After),
 * even for a right password, while a sign-in from another address (127.0.0.1) still works.
 */
export async function throttleFlow(origin: string): Promise<void> {
  const statuses: number[] = []
  for (let i = 0; i < 51; i++) {
    statuses.push(
      (await postLogin(origin, '127.0.0.2', { email: `spray-${i}@example.com`, password: 'guess' }))
        .status,
    )
  }
  expect(statuses).toEqual([...Array(50).fill(400), 429])
  const right = await postLogin(origin, '127.0.0.2', { email: BOB.email, password: BOB.password })
  expect(right.status).toBe(429)
  expect(Number(right.retryAfter)).toBeGreaterThan(0)
  expect(
    (await postLogin(origin, '127.0.0.1', { email: BOB.email, password: BOB.password })).status,
  ).toBe(303)
}

/** A page on another site (localhost vs 127.0.0.1) that auto-submits a form to `action`. */
export async function attackerSite(
  action: string,
  fields: Record<string, string>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
    .join('')
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html')
    res.end(
      `<!doctype html><form id="f" method="POST" action="${action}">${inputs}</form><script>document.getElementById('f').submit()</script>`,
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://localhost:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** A signed-in user visits a page on another site that posts a form to `path`: the answer is 403 and the user stays signed in. */
export async function crossSiteFormFlow(
  browser: Browser,
  origin: string,
  path: string,
): Promise<string> {
  const context = await browser.newContext()
  const attacker = await attackerSite(origin + path, { _csrf: 'forged' })
  try {
    const page = await context.newPage()
    await signIn(page, origin, BOB)
    const before = await sessionCookie(context, origin)
    const [response] = await Promise.all([
      page.waitForResponse(
        (r) => r.url().startsWith(origin + path.split('?')[0]) && r.request().method() === 'POST',
      ),
      page.goto(attacker.url),
    ])
    expect(response.status()).toBe(403)
    expect((await statusFor(origin, `hp=${before?.value}`)).authenticated).toBe(true)
    return await response.text()
  } finally {
    await attacker.close()
    await context.close()
  }
}
