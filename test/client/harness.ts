// Browser test harness for hallpass/client: a real hallpass server on node:http, the client bundled by esbuild, and Debian's Chromium.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { createSessions, type Duration, type Sessions } from '../../src/index.ts'
import { withSession, type NodeReply } from '../../src/adapters/node.ts'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
export const CSRF_HEADER = { 'x-csrf-token': 'test-csrf-token' }
export const USER = { id: 'u1', email: 'user@example.com', name: 'Ada' }
const SECRET = 'client-test-secret-0123456789-abcdefghij'

/** Bundles the page script (the real client) for the browser; fails if anything in it needs Node. */
export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    logLevel: 'silent',
  })
  return result.outputFiles[0]?.text ?? ''
}

export interface TestServer {
  readonly origin: string
  readonly sessions: Sessions
  /** Seconds of idle timeout for every session from its next request on. */
  idleSeconds: number
  close(): Promise<void>
}

/** Server options: `skewMs` moves its clock; `touchInterval` is how often a request may move the idle deadline (default '1s'). */
export interface ServerOptions {
  skewMs?: number
  touchInterval?: Duration
}

/**
 * A node:http server on an ephemeral loopback port: the test page, the bundled client, and a status,
 * login and logout API on the real library. `skewMs` moves the server's clock (and its Date header).
 */
export async function startServer(
  script: string,
  options: ServerOptions = {},
): Promise<TestServer> {
  const clock = (): number => Date.now() + (options.skewMs ?? 0)
  const state = { idleSeconds: 1800 }
  const sessions = createSessions({
    secret: SECRET,
    cookie: { secure: false },
    idleTimeout: () => state.idleSeconds,
    touchInterval: options.touchInterval ?? '1s',
    clock,
  })
  const reply = (
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): NodeReply => ({
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      date: new Date(clock()).toUTCString(),
      ...headers,
    },
    body: body === undefined ? '' : JSON.stringify(body),
  })
  const server: Server = createServer(
    withSession(sessions, async (req, session) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const route = `${req.method} ${url.pathname}`
      if (route === 'GET /')
        return { headers: { 'content-type': 'text/html; charset=utf-8' }, body: PAGE }
      if (route === 'GET /client.js')
        return { headers: { 'content-type': 'text/javascript; charset=utf-8' }, body: script }
      if (route === 'GET /api/session') {
        if (!session.isAuthenticated) return reply(200, { authenticated: false })
        const stamp =
          url.searchParams.get('format') === 'iso'
            ? (ms: number | null) => new Date(ms ?? 0).toISOString()
            : (ms: number | null) => ms
        return reply(200, {
          authenticated: true,
          user: USER,
          session: {
            id: session.id,
            createdAt: stamp(session.createdAt),
            expiresAt: stamp(session.expiresAt),
            idleExpiresAt: stamp(session.idleExpiresAt),
          },
        })
      }
      if (route === 'POST /api/login') {
        await session.login(USER.id)
        return reply(200, { user: USER })
      }
      if (route === 'POST /api/logout') {
        if (req.headers['x-csrf-token'] !== CSRF_HEADER['x-csrf-token'])
          return reply(403, { error: { code: 'CSRF_REJECTED', message: 'no' } })
        await session.logout()
        return reply(204, undefined, { 'clear-site-data': '"cache", "cookies", "storage"' })
      }
      return reply(404, { error: { code: 'NOT_FOUND', message: route } })
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    sessions,
    get idleSeconds() {
      return state.idleSeconds
    },
    set idleSeconds(value) {
      state.idleSeconds = value
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const PAGE =
  '<!doctype html><meta charset="utf-8"><title>hallpass/client test</title><script src="/client.js"></script><p>hallpass/client test page</p>'

/**
 * Runs before any page script: counts every read of document.cookie, the Cookie Store API and web storage,
 * and keeps an untrapped cookie reader for the test's own HttpOnly check.
 */
const TRAPS = `(() => {
  const t = { cookieReads: 0, storageCalls: 0 }
  Object.defineProperty(window, '__traps', { value: t })
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie')
  Object.defineProperty(window, '__rawCookie', { value: () => cookie.get.call(document) })
  Object.defineProperty(Document.prototype, 'cookie', {
    configurable: true,
    get() { t.cookieReads++; return cookie.get.call(this) },
    set(v) { t.cookieReads++; cookie.set.call(this, v) },
  })
  for (const m of ['getItem', 'setItem', 'removeItem', 'key', 'clear']) {
    const orig = Storage.prototype[m]
    Storage.prototype[m] = function (...a) { t.storageCalls++; return orig.apply(this, a) }
  }
  if (typeof CookieStore === 'function') for (const m of ['get', 'getAll', 'set', 'delete']) {
    const orig = CookieStore.prototype[m]
    CookieStore.prototype[m] = function (...a) { t.cookieReads++; return orig.apply(this, a) }
  }
  const open = IDBFactory.prototype.open
  IDBFactory.prototype.open = function (...a) { t.storageCalls++; return open.apply(this, a) }
})()`

export interface TestBrowser {
  readonly context: BrowserContext
  close(): Promise<void>
}

/** Launches Debian's Chromium with a fresh profile. Fails (never skips) when it is not installed. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium was not found at ${CHROMIUM}. The hallpass/client browser tests need it: install Debian's chromium package (apt-get install chromium) and run them again.`,
    )
  }
  const profile = mkdtempSync(join(tmpdir(), 'hallpass-client-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  })
  await context.addInitScript(TRAPS)
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** A page with per-page tallies of the status requests it sent. */
export interface TestPage {
  readonly page: Page
  /** How many requests this page sent to the status endpoint so far. */
  statusRequests(): number
}

/** Opens the test page. `query` configures the client (see page.ts); `before` runs first in the page (e.g. removing BroadcastChannel). */
export async function openPage(
  browser: TestBrowser,
  origin: string,
  query: Record<string, string> = {},
  before?: string,
): Promise<TestPage> {
  const page = await browser.context.newPage()
  let count = 0
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/session') count += 1
  })
  if (before) await page.addInitScript(before)
  await page.goto(`${origin}/?${new URLSearchParams(query)}`)
  return { page, statusRequests: () => count }
}

/** Waits until the page's client reports `status`. */
export async function waitForStatus(page: Page, status: string, timeout = 5_000): Promise<void> {
  await page.waitForFunction((s) => window.hp?.client.getSnapshot().status === s, status, {
    timeout,
  })
}

/** Signs the browser context in (the cookie is set by the response, as in a real login). */
export async function login(page: Page): Promise<void> {
  const status = await page.evaluate(() =>
    fetch('/api/login', { method: 'POST' }).then((r) => r.status),
  )
  if (status !== 200) throw new Error(`login failed with ${status}`)
}

/** What the traps saw: reads of cookies and uses of storage by any script in the page. */
export function trapCounts(page: Page): Promise<{ cookieReads: number; storageCalls: number }> {
  return page.evaluate(() => ({ ...window.__traps }))
}

/** Closes the pages and clears the cookies (so a failure cannot leak into the next test); returns each page's trap counts. */
export async function closePages(
  browser: TestBrowser,
  pages: TestPage[],
): Promise<Array<{ cookieReads: number; storageCalls: number }>> {
  const counts = []
  for (const p of pages.splice(0)) {
    counts.push(await trapCounts(p.page).catch(() => ({ cookieReads: -1, storageCalls: -1 })))
    await p.page.close()
  }
  await browser.context.clearCookies()
  return counts
}

/** One test file's Chromium suite: bundle, server and browser before all, trap checks after each test, cleanup after all. */
export interface ChromiumSuite {
  readonly script: string
  readonly server: TestServer
  readonly browser: TestBrowser
  /** Opens a page on the test server; its cookie and storage traps are checked after the test. */
  open(query?: Record<string, string>, before?: string): Promise<TestPage>
}

/** Registers the suite's hooks; `setup` adjusts the server before the browser starts. */
export function useChromiumSuite(
  serverOptions: ServerOptions = {},
  setup?: (server: TestServer) => void,
): ChromiumSuite {
  const opened: TestPage[] = []
  const suite = {
    open: async (query: Record<string, string> = {}, before?: string) => {
      const page = await openPage(suite.browser, suite.server.origin, query, before)
      opened.push(page)
      return page
    },
  } as ChromiumSuite & { script: string; server: TestServer; browser: TestBrowser }
  beforeAll(async () => {
    suite.script = await bundleClient()
    suite.server = await startServer(suite.script, serverOptions)
    setup?.(suite.server)
    suite.browser = await launchBrowser()
  })
  afterEach(async () => {
    // Every page of every test: no script read a cookie or touched web storage.
    for (const counts of await closePages(suite.browser, opened))
      expect(counts).toEqual({ cookieReads: 0, storageCalls: 0 })
  })
  afterAll(async () => {
    await suite.browser?.close()
    await suite.server?.close()
  })
  return suite
}
