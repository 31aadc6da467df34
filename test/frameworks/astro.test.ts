// examples/astro built for production (@astrojs/node standalone), run on Node 24 and driven in Chromium; the streamed-render trap; a client bundle that imports hallpass/astro.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { binOf, buildWithNode, exampleDir, failingBuild, startApp } from './harness.ts'
import { describeLifecycleFlow } from './lifecycle-flow.ts'
import { BOB, crossSiteFormFlow, exampleSuite, sessionCookie } from './session-flow.ts'

const DIR = exampleDir('astro')
const ASTRO = binOf('astro')
const SECRET = 'astro-example-test-secret-0123456789abcdef'
const QUIET = { ASTRO_TELEMETRY_DISABLED: '1' }

/** One production build for the file; each instance started from it with `env` added. */
let built: Promise<string> | undefined
async function start(env: Record<string, string>) {
  await (built ??= buildWithNode(DIR, [ASTRO, 'build'], QUIET, 'dist'))
  return startApp(DIR, ['dist/server/entry.mjs'], {
    env: { SESSION_SECRET: SECRET, PLAIN_HTTP: '1', ...env },
  })
}

describeLifecycleFlow('examples/astro', start, { user: BOB, submit: '#sign-in' })

exampleSuite(
  'examples/astro in Chromium',
  () => start({}),
  (env) => {
    it("a cross-site form POST is refused by hallpass's CSRF check (Astro's checkOrigin is off in its favour)", async () => {
      const { app, browser } = env()
      const body = await crossSiteFormFlow(browser, app.origin, '/logout')
      expect(JSON.parse(body)).toMatchObject({ error: { code: 'CSRF_REJECTED' } })
    })

    it('a set() from a component rendered while the page streams fails loudly with SESSION_COMMITTED; the frontmatter write persists', async () => {
      const { app, browser } = env()
      const context = await browser.newContext()
      try {
        const page = await context.newPage()
        await page.goto(app.origin + '/streamed')
        expect(await page.textContent('#visits')).toBe('Visits: 1')
        await page.reload()
        expect(await page.textContent('#visits')).toBe('Visits: 2') // the page's own frontmatter wrote before the commit

        // Astro cuts the streamed response off at the failing component (the browser would keep waiting): read it with fetch.
        const before = app.output().length
        const cookie = `hp=${(await sessionCookie(context, app.origin))?.value}`
        const late = await fetch(app.origin + '/streamed?late', { headers: { cookie } })
        expect(late.status).toBe(200) // the head had gone out before the component ran
        const html = await late.text().catch((err: unknown) => `[body cut off: ${String(err)}]`)
        expect(html).not.toContain('id="late"') // the render stopped at the component instead of pretending it worked
        await expect.poll(() => app.output().slice(before)).toContain('SESSION_COMMITTED')
        await page.goto(app.origin + '/streamed')
        expect(await page.textContent('#visits')).toBe('Visits: 4')
      } finally {
        await context.close()
      }
    })
  },
)

describe('hallpass/astro in a client bundle', () => {
  it('a <script> that imports it fails the build with a message that says where to import it', async () => {
    const variant = join(DIR, '.variants', 'client-import')
    rmSync(variant, { recursive: true, force: true })
    mkdirSync(variant, { recursive: true })
    try {
      for (const entry of ['src', 'package.json', 'astro.config.mjs', 'tsconfig.json'])
        cpSync(join(DIR, entry), join(variant, entry), { recursive: true })
      writeFileSync(
        join(variant, 'src', 'pages', 'index.astro'),
        `<p>oops</p>\n<script>\n  import { sessionMiddleware } from 'hallpass/astro'\n  console.log(typeof sessionMiddleware)\n</script>\n`,
      )
      const output = await failingBuild(variant, [ASTRO, 'build'])
      expect(output).toContain(
        'hallpass/astro is server-only and was imported into code bundled for the browser',
      )
    } finally {
      rmSync(join(DIR, '.variants'), { recursive: true, force: true })
    }
  }, 180_000)
})
