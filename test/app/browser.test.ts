// The reference app in a real browser (Debian's Chromium through playwright-core): login, cookies, tabs, devices, admin, CSRF.
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium.ts'
import { startApp, type AppUnderTest } from './harness.ts'

// Screenshots go to docs/screenshots/ only when asked (UPDATE_SCREENSHOTS=1), so a test run never dirties the tree.
const SHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
    : `${mkdtempSync(join(tmpdir(), 'hallpass-shots-'))}/`
const ADMIN = { email: 'admin@example.com', password: 'admin-password-123' }
const USER = { email: 'user@example.com', password: 'user-password-123' }
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1'

/** A page on another site (127.0.0.1 is a different site from localhost) that posts a form to the app as soon as it loads. */
function attackerPage(target: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
    .join('')
  return `<!doctype html><title>Win a prize</title><form method="post" action="${target}">${inputs}</form><script>document.forms[0].submit()</script>`
}

describe('the reference app in Chromium', () => {
  let app: AppUnderTest
  let browser: Browser
  let attacker: Server
  let attackerOrigin = ''
  let attackerBody = ''
  const contexts: BrowserContext[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    app = await startApp()
    browser = await launchChromium()
    attacker = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(attackerBody),
    )
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
    attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined)
    await browser?.close()
    await new Promise((resolve) => attacker?.close(resolve))
    await app?.close()
  })

  async function newContext(options: { userAgent?: string } = {}): Promise<BrowserContext> {
    const context = await browser.newContext({
      viewport: { width: 1120, height: 760 },
      baseURL: app.origin,
      ...options,
    })
    context.setDefaultTimeout(8000) // fail with playwright's message, well before the test's own timeout
    contexts.push(context)
    return context
  }

  async function signIn(
    page: Page,
    account: { email: string; password: string },
    rememberMe = false,
  ): Promise<void> {
    await page.goto('/login')
    await page.fill('input[name="email"]', account.email)
    await page.fill('input[name="password"]', account.password)
    if (rememberMe) await page.check('input[name="rememberMe"]')
    await Promise.all([page.waitForURL(`${app.origin}/`), page.click('button:has-text("Sign in")')])
  }

  /** Waits until the page's script has heard from the status endpoint (the idle countdown shows). */
  async function live(page: Page): Promise<void> {
    await page.waitForFunction(
      () => (document.querySelector('[data-live="idle-countdown"]')?.textContent ?? '') !== '',
      null,
      { timeout: 5000 },
    )
  }

  async function sessionCookie(
    context: BrowserContext,
  ): Promise<{ expires: number; httpOnly: boolean } | undefined> {
    return (await context.cookies(app.origin)).find((c) => c.name === 'hp')
  }

  it('signs in; the session cookie is HttpOnly and invisible to document.cookie', async () => {
    const context = await newContext()
    const page = await context.newPage()
    await page.goto('/login')
    await page.screenshot({ path: `${SHOTS}login.png`, fullPage: true })
    await signIn(page, USER)
    expect(await page.textContent('h1')).toBe('Hello, Uma User')
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/(^|;\s*)hp=/)
    const cookie = await sessionCookie(context)
    expect(cookie?.httpOnly).toBe(true)
    expect(cookie?.expires).toBe(-1) // no remember-me: ends with the browser
    await live(page)
    await page.screenshot({ path: `${SHOTS}dashboard.png`, fullPage: true })
  })

  it('remember-me sets a persistent cookie (about 30 days), the default does not', async () => {
    const context = await newContext()
    await signIn(await context.newPage(), USER, true)
    const expires = (await sessionCookie(context))?.expires ?? 0
    const days = (expires * 1000 - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29.9)
    expect(days).toBeLessThanOrEqual(30)
  })

  it('logging out in one tab logs out the other (BroadcastChannel)', async () => {
    const context = await newContext()
    const first = await context.newPage()
    await signIn(first, USER)
    const second = await context.newPage()
    const firstCheck = second.waitForResponse((response) =>
      response.url().endsWith('/api/auth/session'),
    )
    await second.goto('/sessions')
    await live(first)
    await firstCheck // the second tab's own start-up status check is done before we count
    await second.waitForLoadState('networkidle')
    let checks = 0
    second.on('request', (request) => {
      // Only checks made by the signed-in page count; the /login page it moves to checks on its own load.
      if (request.url().endsWith('/api/auth/session') && !request.frame().url().includes('/login'))
        checks += 1
    })
    await Promise.all([
      first.waitForURL(/\/login\?notice=signed-out$/),
      first.click('button:has-text("Log out")'),
    ])
    await second.waitForURL(/\/login\?notice=session-ended/, { timeout: 5000, waitUntil: 'commit' })
    expect(checks).toBe(0) // told by the other tab, not by asking the server
    expect(await sessionCookie(context)).toBeUndefined()
  })

  it('revoking a device from the list logs out that browser', async () => {
    const uma = app.deps.users.list().find((u) => u.email === USER.email)
    await app.deps.sessions.revokeUserSessions(uma?.id ?? '') // a clean device list for the screenshot
    const laptop = await newContext()
    const phone = await newContext({ userAgent: IPHONE })
    const laptopPage = await laptop.newPage()
    const phonePage = await phone.newPage()
    await signIn(laptopPage, USER)
    await signIn(phonePage, USER, true)
    await laptopPage.goto('/sessions')
    const others = laptopPage.locator('tbody tr:not(:has(.tag.ok))')
    expect(await others.count()).toBeGreaterThanOrEqual(1)
    await laptopPage.screenshot({ path: `${SHOTS}sessions.png`, fullPage: true })
    const phoneId = await phonePage.evaluate(() =>
      fetch('/api/auth/session')
        .then((r) => r.json())
        .then((s: { session: { id: string } }) => s.session.id),
    )
    await Promise.all([
      laptopPage.waitForURL(/notice=device-revoked/),
      laptopPage.click(`tr[data-session-id="${phoneId}"] button`),
    ])
    // The phone learns it on its next request: here, the status check the page makes when it regains focus.
    await phonePage.evaluate(() => window.dispatchEvent(new Event('focus')))
    await phonePage.waitForURL(/\/login/, { timeout: 5000 })
    await phonePage.goto('/')
    expect(new URL(phonePage.url()).pathname).toBe('/login')
    await laptopPage.goto('/')
    expect(new URL(laptopPage.url()).pathname).toBe('/')
  })

  it('the admin changes the idle timeout; a user cannot open /admin', async () => {
    const adminContext = await newContext()
    const page = await adminContext.newPage()
    await signIn(page, ADMIN)
    await page.goto('/admin')
    await page.fill('input[name="idleTimeoutMinutes"]', '20')
    try {
      await Promise.all([
        page.waitForURL(/notice=settings-saved/),
        page.click('button:has-text("Save")'),
      ])
      expect(app.deps.settings.idleTimeoutMinutes()).toBe(20)
      expect(await page.inputValue('input[name="idleTimeoutMinutes"]')).toBe('20')
      await page.screenshot({ path: `${SHOTS}admin.png`, fullPage: true })
    } finally {
      app.deps.settings.setIdleTimeoutMinutes(30)
    }

    const userContext = await newContext()
    const userPage = await userContext.newPage()
    await signIn(userPage, USER)
    expect(await userPage.locator('nav a:has-text("Admin")').count()).toBe(0)
    const response = await userPage.goto('/admin')
    expect(response?.status()).toBe(403)
    expect(await userPage.textContent('h1')).toBe('Admins only')
  })

  it('a form posted from another site (127.0.0.1 against localhost) is rejected and changes nothing', async () => {
    const context = await newContext()
    const page = await context.newPage()
    await signIn(page, USER)
    const before = app.deps.users.list().find((u) => u.email === USER.email)
    const timeout = app.deps.settings.idleTimeoutMinutes()
    const nameTarget = `${app.origin}/account/name`
    attackerBody = attackerPage(nameTarget, { name: 'Hacked by 127.0.0.1' })
    const [rejected] = await Promise.all([
      page.waitForResponse(nameTarget),
      page.goto(attackerOrigin),
    ])
    expect(rejected.status()).toBe(403)
    expect(await rejected.text()).toContain('CSRF_REJECTED')
    expect(app.deps.users.find(before?.id ?? '')?.name).toBe(before?.name)

    attackerBody = attackerPage(`${app.origin}/admin/settings`, { idleTimeoutMinutes: '5' })
    const [settings] = await Promise.all([
      page.waitForResponse(`${app.origin}/admin/settings`),
      page.goto(attackerOrigin),
    ])
    expect(settings.status()).toBe(403)
    expect(app.deps.settings.idleTimeoutMinutes()).toBe(timeout)

    attackerBody = attackerPage(`${app.origin}/logout`, {})
    const [logout] = await Promise.all([
      page.waitForResponse(`${app.origin}/logout`),
      page.goto(attackerOrigin),
    ])
    expect(logout.status()).toBe(403)
    await page.goto(`${app.origin}/`)
    expect(await page.textContent('h1')).toBe('Hello, Uma User') // still signed in
  })

  it('warns before the idle timeout, then goes to the sign-in page when it passes', async () => {
    const short = await startApp({
      env: { SESSION_IDLE_TIMEOUT: '4', SESSION_TOUCH_INTERVAL: '1' },
    })
    try {
      const context = await browser.newContext({ baseURL: short.origin })
      contexts.push(context)
      const page = await context.newPage()
      await page.goto('/login')
      await page.fill('input[name="email"]', USER.email)
      await page.fill('input[name="password"]', USER.password)
      await Promise.all([
        page.waitForURL(`${short.origin}/`),
        page.click('button:has-text("Sign in")'),
      ])
      await page.waitForSelector('#expiry-banner:not([hidden])', { timeout: 4000 })
      expect(await page.textContent('[data-live="expiry-message"]')).toMatch(
        /signed out in \d+ seconds/,
      )
      await page.waitForURL(/\/login\?notice=session-ended/, { timeout: 8000 })
      expect(await page.textContent('.flash')).toContain('Your session ended')
    } finally {
      await short.close()
    }
  })
})
