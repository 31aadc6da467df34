// examples/sveltekit built for production (adapter-node), run on Node 24 and driven in Chromium; plus a client bundle that imports hallpass/sveltekit.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { binOf, buildWithNode, exampleDir, failingBuild, freePort, startApp } from './harness.ts'
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
 * The lifecycle tests serve the app over HTTPS through a proxy, and adapter-node bakes the public origin into
 * the build: they get their own build, in a copy, with none baked (then it is https and the Host header).
 */
const TLS_COPY = join(DIR, '.variants', 'tls')
let tlsBuild: Promise<string> | undefined
afterAll(() => rmSync(TLS_COPY, { recursive: true, force: true }))

describeLifecycleFlow(
  'examples/sveltekit',
  async (env) => {
    tlsBuild ??= (async () => {
      rmSync(TLS_COPY, { recursive: true, force: true })
      mkdirSync(TLS_COPY, { recursive: true })
      for (const entry of ['src', 'package.json', 'vite.config.js', 'tsconfig.json'])
        cpSync(join(DIR, entry), join(TLS_COPY, entry), { recursive: true })
      return buildWithNode(TLS_COPY, [VITE, 'build'])
    })()
    await tlsBuild
    return startApp(TLS_COPY, ['build'], { env: { SESSION_SECRET: SECRET, ...env } })
  },
  { user: BOB, submit: '#sign-in' },
)

exampleSuite(
  'examples/sveltekit in Chromium',
  async () => {
    // adapter-node takes the public origin from the build (paths.origin), so the port is chosen first.
    const port = await freePort()
    await buildWithNode(DIR, [VITE, 'build'], { ORIGIN: `http://127.0.0.1:${port}` })
    return startApp(DIR, ['build'], { port, env: { SESSION_SECRET: SECRET, PLAIN_HTTP: '1' } })
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
