// examples/sveltekit built for production (adapter-node), run on Node 24 and driven in Chromium; plus a client bundle that imports hallpass/sveltekit.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startProxy } from '../support/tls-proxy.ts'
import {
  binOf,
  buildWithNode,
  exampleDir,
  failingBuild,
  startApp,
  type RunningApp,
} from './harness.ts'
import { describeLifecycleFlow } from './lifecycle-flow.ts'
import {
  BOB,
  crossSiteFormFlow,
  exampleSuite,
  sessionCookie,
  signIn,
  statusFor,
} from './session-flow.ts'

const DIR = exampleDir('sveltekit')
const VITE = binOf('vite')
const SECRET = 'sveltekit-example-test-secret-0123456789abcdef'

/**
 * One production build for the file, with no public origin baked in (adapter-node takes `paths.origin` from the
 * build): each instance runs behind a proxy that says the scheme and the client (PROTOCOL_HEADER, ADDRESS_HEADER),
 * plain HTTP for the shared flows, HTTPS for the lifecycle tests.
 */
let built: Promise<string> | undefined
const BEHIND_PROXY = { PROTOCOL_HEADER: 'x-forwarded-proto', ADDRESS_HEADER: 'x-forwarded-for' }
async function startBuilt(env: Record<string, string>): Promise<RunningApp> {
  await (built ??= buildWithNode(DIR, [VITE, 'build'], {}, 'build'))
  return startApp(DIR, ['build'], { env: { SESSION_SECRET: SECRET, ...BEHIND_PROXY, ...env } })
}

describeLifecycleFlow('examples/sveltekit', startBuilt, { user: BOB, submit: '#sign-in' })

exampleSuite(
  'examples/sveltekit in Chromium',
  async () => {
    const app = await startBuilt({ PLAIN_HTTP: '1' })
    const proxy = await startProxy(app.origin)
    return {
      origin: proxy.origin,
      port: proxy.port,
      output: app.output,
      async stop() {
        await proxy.close()
        await app.stop()
      },
    }
  },
  (env) => {
    it('a cross-site form POST is refused (SvelteKit answers first: its origin check stays on)', async () => {
      const { app, browser } = env()
      expect(await crossSiteFormFlow(browser, app.origin, '/logout')).toContain(
        'Cross-site POST form submissions are forbidden',
      )
    })

    it("a cross-site JSON POST, which SvelteKit's origin check lets through, is refused by hallpass's CSRF in the handle hook", async () => {
      const { app, browser } = env()
      const context = await browser.newContext()
      try {
        const page = await context.newPage()
        await signIn(page, app.origin, BOB)
        const cookie = `hp=${(await sessionCookie(context, app.origin))?.value}`
        const forged = await fetch(app.origin + '/api/auth/session', {
          method: 'POST',
          headers: {
            cookie,
            'content-type': 'application/json',
            origin: 'http://evil.example',
            'sec-fetch-site': 'cross-site',
          },
          body: '{}',
        })
        expect(forged.status).toBe(403)
        expect(await forged.json()).toMatchObject({ error: { code: 'CSRF_REJECTED' } })
        // The same request from the app's own page goes through.
        const own = await page.evaluate(
          async () =>
            (
              await fetch('/api/auth/session', {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: '{}',
              })
            ).status,
        )
        expect(own).toBe(200)
        expect((await statusFor(app.origin, cookie)).authenticated).toBe(true)
      } finally {
        await context.close()
      }
    })

    it('a set() in a promise that load streams after the hook committed fails loudly with SESSION_COMMITTED', async () => {
      const { app, browser } = env()
      const context = await browser.newContext()
      try {
        const page = await context.newPage()
        const before = app.output().length
        await page.goto(app.origin + '/streamed')
        await page.waitForSelector('#late-error')
        expect(await page.locator('#late').count()).toBe(0)
        // SvelteKit logs the error's stack (the HallpassError with code SESSION_COMMITTED), not its code.
        await expect
          .poll(() => app.output().slice(before))
          .toMatch(/HallpassError: session\.set\(\) was called after the session was committed/)
      } finally {
        await context.close()
      }
    })

    it('a form action that logs in and redirect()s keeps the Set-Cookie on the 303', async () => {
      const { app } = env()
      const response = await fetch(app.origin + '/login', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: app.origin,
          'sec-fetch-site': 'same-origin',
          accept: 'text/html',
        },
        body: new URLSearchParams({ email: BOB.email, password: BOB.password }),
        redirect: 'manual',
      })
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe('/account')
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('hp='))
      expect(cookie).toMatch(/^hp=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/)
      expect((await statusFor(app.origin, cookie!.split(';')[0]!)).user?.name).toBe(BOB.name)
    })
  },
)

describe("examples/sveltekit's handleError (sessionErrors)", () => {
  /** POSTs the sign-in form with the example's test hook `hook` on; the answer and what the server logged meanwhile. */
  async function signInWithHook(hook: string): Promise<{ response: Response; logged: string }> {
    const hooks = mkdtempSync(join(tmpdir(), 'hallpass-sveltekit-hooks-'))
    writeFileSync(join(hooks, hook), '')
    const app = await startBuilt({ PLAIN_HTTP: '1', HALLPASS_TEST_HOOKS: hooks })
    const proxy = await startProxy(app.origin)
    try {
      const before = app.output().length
      const response = await fetch(proxy.origin + '/login', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: proxy.origin,
          'sec-fetch-site': 'same-origin',
          accept: 'text/html',
        },
        body: new URLSearchParams({ email: BOB.email, password: BOB.password }),
        redirect: 'manual',
      })
      await response.arrayBuffer()
      return { response, logged: app.output().slice(before) }
    } finally {
      await proxy.close()
      await app.stop()
      rmSync(hooks, { recursive: true, force: true })
    }
  }

  it("a sign-in while the store cannot write is a 503 with no cookie, not SvelteKit's 500", async () => {
    const { response } = await signInWithHook('store-writes-down')
    expect(response.status).toBe(503)
    expect(response.headers.getSetCookie().filter((c) => c.startsWith('hp='))).toEqual([])
  })

  it("an app's own error after login() is still logged (sessionErrors replaces SvelteKit's logging handleError), and the new cookie is sent", async () => {
    const { response, logged } = await signInWithHook('throw-after-login')
    expect(response.status).toBe(500)
    expect(response.headers.getSetCookie().some((c) => c.startsWith('hp='))).toBe(true)
    expect(logged).toContain('test hook: the sign-in failed after login()')
  })
})

describe('hallpass/sveltekit in a client bundle', () => {
  it('fails the build with a message that says where to import it', async () => {
    const variant = join(DIR, '.variants', 'client-import')
    rmSync(variant, { recursive: true, force: true })
    mkdirSync(variant, { recursive: true })
    try {
      for (const entry of ['src', 'package.json', 'vite.config.js', 'tsconfig.json'])
        cpSync(join(DIR, entry), join(variant, entry), { recursive: true })
      writeFileSync(
        join(variant, 'src', 'routes', '+page.svelte'),
        `<script lang="ts">\n  import { handleSession } from 'hallpass/sveltekit'\n  console.log(typeof handleSession)\n</script>\n<p>oops</p>\n`,
      )
      const output = await failingBuild(variant, [VITE, 'build'])
      expect(output).toContain(
        'hallpass/sveltekit is server-only and was imported into code bundled for the browser',
      )
    } finally {
      rmSync(join(DIR, '.variants'), { recursive: true, force: true })
    }
  }, 180_000)
})
