// The lifecycle promises of #22 in each framework example, in Chromium: a sign-in that throws after login(), a
// sign-out while the store cannot write, and device binding on (HTTPS through a TLS proxy, Chromium's DBSC).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium.ts'
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy.ts'
import { selfSignedCertificate } from '../support/tls.ts'
import type { RunningApp } from './harness.ts'

/** Starts another instance of an example (from the file's build) with extra environment variables. */
export type StartExample = (env: Record<string, string>) => Promise<RunningApp>

/** What differs between the examples' sign-in pages: the account to use and the form's submit button. */
export interface SignInUi {
  readonly user: { readonly email: string; readonly password: string }
  readonly submit: string
  /**
   * False where the sign-in's answer cannot carry the registration offer: a Next.js server action (Next gives
   * actions no response headers; docs/dbsc.md). The user must still be signed in with device binding on.
   * @default true
   */
  readonly offersRegistration?: boolean
}

/** The Chromium switches for DBSC on Linux without a TPM (as in test/app/dbsc-browser.test.ts). */
const DBSC_FEATURES =
  '--enable-features=DeviceBoundSessions,EnableBoundSessionCredentialsSoftwareKeysForManualTesting'

/** What the example's status endpoint says for the page's cookies. */
function status(page: Page): Promise<{ authenticated: boolean; user?: { name?: string } }> {
  return page.evaluate(() => fetch('/api/auth/session').then((r) => r.json()))
}

/**
 * Fills the sign-in form and submits it. Resolves once the POST ended and, for a sign-in that should succeed,
 * once the page left /login.
 */
async function submitSignIn(
  page: Page,
  origin: string,
  ui: SignInUi,
  outcome: 'lands' | 'fails' = 'lands',
): Promise<void> {
  await page.goto(`${origin}/login`)
  await page.fill('input[name=email]', ui.user.email)
  await page.fill('input[name=password]', ui.user.password)
  await postedBy(page, () => page.click(ui.submit))
  // Next.js and TanStack Start navigate on the client: the URL changes without a new document.
  if (outcome === 'lands')
    await page.waitForURL((url) => !url.pathname.startsWith('/login'), { waitUntil: 'commit' })
}

/**
 * Runs `act` and resolves once the first POST it starts has ended, finished or failed (an error page may be cut
 * off mid-stream): the cookies of its answer are in the browser's jar by then. The listeners are in place before
 * `act` runs, since a click that submits a form for a full navigation (Astro) returns after the POST ended.
 */
async function postedBy(page: Page, act: () => Promise<void>): Promise<void> {
  let onEnd: (request: Request) => void = () => undefined
  const ended = new Promise<void>((resolve) => {
    onEnd = (request) => {
      if (request.method() === 'POST') resolve()
    }
  })
  page.on('requestfinished', onEnd)
  page.on('requestfailed', onEnd)
  try {
    await act()
    await ended
  } finally {
    page.off('requestfinished', onEnd)
    page.off('requestfailed', onEnd)
  }
}

/** Clicks "Sign out" and resolves once its POST ended. */
async function signOut(page: Page): Promise<void> {
  await postedBy(page, () => page.click('text=Sign out'))
}

/**
 * Registers the lifecycle tests for an example: its lib/test-hooks module throws after login() or fails the
 * store's writes while a file of that name is in the HALLPASS_TEST_HOOKS directory, and turns device binding
 * on with HALLPASS_TEST_DEVICE_BOUND=1.
 */
export function describeLifecycleFlow(name: string, start: StartExample, ui: SignInUi): void {
  const certificate = selfSignedCertificate()
  /** Starts an instance behind its own TLS proxy (secure cookies, as in production), with `env` added. */
  async function startBehindTls(env: Record<string, string>) {
    // Behind the proxy: trustProxy reads X-Forwarded-Proto (SvelteKit has none: adapter-node's PROTOCOL_HEADER does it).
    const app = await start({ ...env, PLAIN_HTTP: '0', HALLPASS_TEST_TRUST_PROXY: '1' })
    return { app, proxy: await startTlsProxy(app.origin, certificate) }
  }
  const pinned = `--ignore-certificate-errors-spki-list=${certificate.spki}`

  describe(`${name}: lifecycle promises in Chromium (#22)`, { timeout: 120_000 }, () => {
    const hooks = mkdtempSync(join(tmpdir(), 'hallpass-hooks-'))
    let app: RunningApp | undefined
    let proxy: TlsProxy | undefined
    let browser: Browser | undefined
    beforeAll(async () => {
      ;({ app, proxy } = await startBehindTls({ HALLPASS_TEST_HOOKS: hooks }))
      browser = await launchChromium([pinned])
    }, 600_000)
    afterAll(async () => {
      await browser?.close()
      await proxy?.close()
      await app?.stop()
      rmSync(hooks, { recursive: true, force: true })
    })

    /** Runs `fn` with a fresh browser context's page. */
    async function withPage(fn: (page: Page, origin: string) => Promise<void>): Promise<void> {
      const context = await browser!.newContext()
      try {
        await fn(await context.newPage(), proxy!.origin)
      } finally {
        await context.close()
      }
    }
    /** Runs `fn` with the example's test hook `hook` switched on. */
    async function withHook(hook: string, fn: () => Promise<void>): Promise<void> {
      writeFileSync(join(hooks, hook), '')
      try {
        await fn()
      } finally {
        rmSync(join(hooks, hook), { force: true })
      }
    }

    it('a sign-in that throws after login() leaves the user signed in', () =>
      withPage(async (page, origin) => {
        await withHook('throw-after-login', () => submitSignIn(page, origin, ui, 'fails'))
        await page.goto(`${origin}/account`)
        expect(new URL(page.url()).pathname).toBe('/account')
        await expect(status(page)).resolves.toMatchObject({
          authenticated: true,
          user: { name: 'Bob' },
        })
      }))

    it('a sign-out while the store cannot write signs the user out', () =>
      withPage(async (page, origin) => {
        await submitSignIn(page, origin, ui)
        await expect(status(page)).resolves.toMatchObject({ authenticated: true })
        await withHook('store-writes-down', async () => {
          await page.goto(`${origin}/account`)
          await signOut(page)
          await page.goto(`${origin}/account`)
          expect(new URL(page.url()).pathname).toBe('/login')
          await expect(status(page)).resolves.toEqual({ authenticated: false })
        })
        // The store is back: the cookie is gone, so the session it could not end is out of reach.
        await page.goto(`${origin}/account`)
        expect(new URL(page.url()).pathname).toBe('/login')
        await expect(status(page)).resolves.toEqual({ authenticated: false })
      }))
  })

  describe(`${name}: device binding on, in Chromium (#22)`, { timeout: 120_000 }, () => {
    let app: RunningApp | undefined
    let proxy: TlsProxy | undefined
    let browser: Browser | undefined
    beforeAll(async () => {
      ;({ app, proxy } = await startBehindTls({ HALLPASS_TEST_DEVICE_BOUND: '1' }))
      browser = await launchChromium([pinned, DBSC_FEATURES])
    }, 600_000)
    afterAll(async () => {
      await browser?.close()
      await proxy?.close()
      await app?.stop()
    })

    if (ui.offersRegistration === false)
      it('a sign-in works with device binding on; a server action offers no registration, so none is made', async () => {
        const context = await browser!.newContext()
        try {
          const page = await context.newPage()
          await submitSignIn(page, proxy!.origin, ui)
          await page.goto(`${proxy!.origin}/account`)
          expect(new URL(page.url()).pathname).toBe('/account')
          await expect(status(page)).resolves.toMatchObject({ authenticated: true })
          expect(proxy!.exchanges.filter((e) => e.path.endsWith('/register'))).toEqual([])
        } finally {
          await context.close()
        }
      })
    else
      it('a sign-in offers registration, Chromium registers its key, and the user is signed in with a bound cookie', async () => {
        const context = await browser!.newContext()
        try {
          const page = await context.newPage()
          await submitSignIn(page, proxy!.origin, ui)
          await expect
            .poll(
              () =>
                proxy!.exchanges.some(
                  (e) => e.method === 'POST' && e.path.endsWith('/register') && e.status === 200,
                ),
              { timeout: 15_000 },
            )
            .toBe(true)
          await expect
            .poll(async () => (await context.cookies(proxy!.origin)).map((c) => c.name), {
              timeout: 15_000,
            })
            .toContainEqual(expect.stringContaining('hp-dbsc'))
          await page.goto(`${proxy!.origin}/account`)
          await expect(status(page)).resolves.toMatchObject({ authenticated: true })
        } finally {
          await context.close()
        }
      })
  })
}
