// hallpass/next in a real Next.js 16 app (examples/next), built for production with Node 24 and driven in Chromium.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BOB, describeExampleFlow } from './example-flow.ts'
import { binOf, buildWithNode, exampleDir, failingBuild, ROOT, startApp } from './harness.ts'
import { describeLifecycleFlow } from './lifecycle-flow.ts'

const DIR = exampleDir('next')
const ENV = { SESSION_SECRET: 'next-example-secret-0123456789-abcdefghij', PLAIN_HTTP: '1' }
const START = [binOf('next'), 'start', '-p', '{port}', '-H', '127.0.0.1']

/** One production build for the file, made without SESSION_SECRET (as a CI build or a Docker image build runs). */
let built: Promise<string> | undefined
const build = () =>
  (built ??= buildWithNode(DIR, [binOf('next'), 'build'], { SESSION_SECRET: '' }, '.next'))

describeExampleFlow(
  'hallpass/next in examples/next',
  async () => {
    await build()
    return startApp(DIR, START, { env: ENV, readyPath: '/login' })
  },
  { withoutJavaScript: true },
)

describeLifecycleFlow(
  'examples/next',
  async (env) => {
    await build()
    return startApp(DIR, START, { env: { ...ENV, ...env }, readyPath: '/login' })
  },
  { user: BOB, submit: 'button[type=submit]', offersRegistration: false },
)

describe('examples/next without SESSION_SECRET', () => {
  it('builds without it; started without it, answers 500 and logs a CONFIG_INVALID that says what to set', async () => {
    await build()
    const app = await startApp(DIR, START, {
      env: { ...ENV, SESSION_SECRET: '' },
      readyPath: '/login',
    })
    try {
      const response = await fetch(app.origin + '/login')
      expect(response.status).toBe(500)
      await expect
        .poll(() => app.output())
        .toMatch(/hallpass: `secret` is required: pass a random string/)
    } finally {
      await app.stop()
    }
  }, 600_000)
})

describe('hallpass/next in client code', () => {
  it('fails the build with the server-only message when a client component imports it', async () => {
    const dir = join(ROOT, '.variants', 'next-client-import')
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(join(dir, 'app'), { recursive: true })
    writeFileSync(
      join(dir, 'next.config.mjs'),
      `export default { turbopack: { root: ${JSON.stringify(ROOT)} } }\n`,
    )
    writeFileSync(
      join(dir, 'app', 'layout.js'),
      `export default function Layout({ children }) { return <html><body>{children}</body></html> }\n`,
    )
    writeFileSync(
      join(dir, 'app', 'page.js'),
      `import Widget from './widget'\nexport default function Page() { return <Widget /> }\n`,
    )
    writeFileSync(
      join(dir, 'app', 'widget.js'),
      `'use client'\nimport { nextSessions } from 'hallpass/next'\nexport default function Widget() { return <p>{typeof nextSessions}</p> }\n`,
    )
    try {
      const output = await failingBuild(dir, [binOf('next'), 'build'])
      expect(output).toMatch(/'server-only' cannot be imported from a Client Component module/)
      expect(output).toMatch(/hallpass[\\/]dist[\\/]integrations[\\/]next\.js|hallpass\/next/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 300_000)
})
