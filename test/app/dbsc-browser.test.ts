// Device-bound sessions in real Chromium (Debian's 156): the reference app over HTTPS with a self-signed certificate
// pinned by its SPKI hash. Chromium registers once at sign-in, refreshes on its own, and a copy of its cookies fails.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionEvent } from '../../src/index.ts'
import { launchChromium } from '../support/chromium.ts'
import { selfSignedCertificate } from '../support/tls.ts'
import { startApp, type AppUnderTest } from './harness.ts'

/**
 * What this Chromium needs for DBSC on Linux, found by trying: both features (the second allows a software key where
 * there is no TPM), and a secure origin that is really trusted: the pinned SPKI, not --ignore-certificate-errors.
 */
const DBSC_FEATURES =
  '--enable-features=DeviceBoundSessions,EnableBoundSessionCredentialsSoftwareKeysForManualTesting'
const BOUND_COOKIE_SECONDS = 10 // the shortest boundCookieTtl hallpass accepts
const BOUND = '__Host-hp-dbsc'

interface Exchange {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly boundCookie: boolean
  readonly proof: boolean
}

describe('device-bound sessions in Chromium', () => {
  let app: AppUnderTest
  let browser: Browser
  const events: SessionEvent[] = []
  const exchanges: Exchange[] = []
  const contexts: BrowserContext[] = []

  beforeAll(async () => {
    const certificate = selfSignedCertificate()
    app = await startApp({
      tls: certificate,
      env: { DEVICE_BOUND_SESSIONS: 'true', DEVICE_BOUND_COOKIE_TTL: String(BOUND_COOKIE_SECONDS) },
      onEvent: (event) => events.push(event),
      onExchange: (request, response) => {
        const path = new URL(request.url).pathname
        if (path.startsWith('/assets/')) return
        const boundCookie = (request.headers.get('cookie') ?? '').includes(`${BOUND}=`)
        exchanges.push({
          method: request.method,
          path,
          status: response.status,
          boundCookie,
          proof: request.headers.has('secure-session-response'),
        })
      },
    })
    browser = await launchChromium([
      `--ignore-certificate-errors-spki-list=${certificate.spki}`,
      DBSC_FEATURES,
    ])
  })

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined)
    await browser?.close()
    await app?.close()
  })

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ baseURL: app.origin })
    context.setDefaultTimeout(8000)
    contexts.push(context)
    return context
  }

  async function signIn(page: Page, account: { email: string; password: string }): Promise<void> {
    await page.goto('/login')
    await page.fill('input[name="email"]', account.email)
    await page.fill('input[name="password"]', account.password)
    await Promise.all([page.waitForURL(`${app.origin}/`), page.click('button:has-text("Sign in")')])
  }

  const count = (type: SessionEvent['type'], userId: string) =>
    events.filter((e) => e.type === type && 'userId' in e && e.userId === userId).length
  const boundCookieOf = async (context: BrowserContext) =>
    (await context.cookies(app.origin)).find((c) => c.name === BOUND)
  /** Real time: Chromium keeps its cookies by the wall clock. Resolves once this context's bound cookie is gone. */
  const waitOut = (context: BrowserContext) =>
    expect
      .poll(() => boundCookieOf(context), {
        timeout: (BOUND_COOKIE_SECONDS + 5) * 1000,
        interval: 250,
      })
      .toBeUndefined()

  it('registers once, refreshes on its own when the bound cookie runs out; a copy of its jar is refused', async () => {
    const user = await app.createUser('user')
    const context = await newContext()
    const page = await context.newPage()
    await signIn(page, user)
    await expect
      .poll(() => boundCookieOf(context))
      .toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' })
    expect(count('dbsc.registered', user.id)).toBe(1)
    expect(exchanges.filter((e) => e.path === '/dbsc/register').map((e) => e.status)).toEqual([200]) // offered once

    await waitOut(context)
    const refreshedBefore = count('dbsc.refreshed', user.id)
    const seen = exchanges.length
    await page.goto('/')
    expect(await page.textContent('h1')).toBe('Hello, Test user')
    expect(count('dbsc.refreshed', user.id)).toBeGreaterThan(refreshedBefore)
    const [refresh, navigation] = exchanges
      .slice(seen)
      .filter((e) => e.path === '/dbsc/refresh' || e.path === '/')
    // Deferred the page, refreshed
    expect(refresh).toMatchObject({ method: 'POST', status: 200, boundCookie: false, proof: true })
    expect(navigation).toMatchObject({ method: 'GET', status: 200, boundCookie: true })
    // Every refresh was one request: the challenge came with the registration answer and with each refresh.
    expect(
      exchanges.filter((e) => e.path === '/dbsc/refresh').every((e) => e.proof && e.status === 200),
    ).toBe(true)

    const copy = await newContext()
    await copy.addCookies(await context.cookies(app.origin))
    const copyPage = await copy.newPage()
    await copyPage.goto('/')
    // Within the bound cookie's seconds, as DBSC allows
    expect(await copyPage.textContent('h1')).toBe('Hello, Test user')
    await waitOut(copy)
    await copyPage.goto('/')
    expect(new URL(copyPage.url()).pathname).toBe('/login') // anonymous: the copy has no key to refresh with
    expect(
      events.some(
        (e) =>
          e.type === 'dbsc.rejected' && e.reason === 'bound_cookie_missing' && e.userId === user.id,
      ),
    ).toBe(true)
    // The copy's refusal ended nothing: the device's session is still the user's (checked on the server, so the
    // browser's second automatic refresh, whose timing is Chromium's, is not what this asserts).
    const ended = events.filter(
      (e) => e.type === 'session.destroyed' || e.type === 'session.revoked' || e.type === 'logout',
    )
    expect(ended.filter((e) => 'userId' in e && e.userId === user.id)).toEqual([])
  }, 60_000)

  it("an admin's role change reaches the device through its key; a copied jar asking first gets nothing", async () => {
    const user = await app.createUser('user')
    const context = await newContext()
    const page = await context.newPage()
    await signIn(page, user)
    await expect.poll(() => boundCookieOf(context)).toBeDefined() // registered, and the answer's cookie is in the jar
    const copy = await newContext()
    await copy.addCookies(await context.cookies(app.origin)) // the whole jar, bound cookie live
    const copyPage = await copy.newPage()

    app.deps.users.setRole(user.id, 'admin')
    const asked = exchanges.length
    await copyPage.goto('/admin')
    // The first request after the change was served (as admin: a user would get 403), it had a live bound cookie.
    // Its response removed that cookie, so the page's own status check, and every later request, is anonymous.
    expect(exchanges.slice(asked).find((e) => e.path === '/admin')).toMatchObject({
      status: 200,
      boundCookie: true,
    })
    const later = await copy.newPage()
    await later.goto('/')
    expect(new URL(later.url()).pathname).toBe('/login')

    const seen = exchanges.length
    await page.goto('/admin')
    expect(await page.textContent('h1')).toBe('Admin')
    const steps = exchanges
      .slice(seen)
      .filter((e) => e.path === '/admin' || e.path === '/dbsc/refresh')
      .map((e) => `${e.method} ${e.path} ${e.status}`)
    // Sent back, refreshed, re-issued
    expect(steps.slice(0, 3)).toEqual([
      'GET /admin 307',
      'POST /dbsc/refresh 200',
      'GET /admin 200',
    ])
    // Early refreshes of a 10 s cookie
    expect(steps.slice(3).every((step) => step === 'POST /dbsc/refresh 200')).toBe(true)
    expect(count('session.regenerated', user.id)).toBe(1)
    expect(count('dbsc.registered', user.id)).toBe(1) // the copy never got an offer to bind a key of its own
    expect(await app.deps.sessions.listSessions(user.id)).toMatchObject([{ deviceBound: true }])
  }, 60_000)
})
