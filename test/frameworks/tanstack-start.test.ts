// hallpass/tanstack-start in a real TanStack Start app (examples/tanstack-start), built for production with Node 24 and driven in Chromium.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BOB, describeExampleFlow } from './example-flow.ts'
import { binOf, buildWithNode, exampleDir, failingBuild, ROOT, startApp } from './harness.ts'
import { describeLifecycleFlow, type StartExample } from './lifecycle-flow.ts'

const ENV = { SESSION_SECRET: 'tanstack-example-secret-0123456789-abcdefgh', PLAIN_HTTP: '1' }
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js')

/** One production build for the file; each instance started from it. */
let built: Promise<string> | undefined
const start: StartExample = async (env) => {
  const dir = exampleDir('tanstack-start')
  await (built ??= buildWithNode(dir, [VITE, 'build'], ENV, 'dist'))
  return startApp(
    dir,
    [
      binOf('srvx'),
      'serve',
      '--prod',
      '--entry',
      'dist/server/server.js',
      '--static',
      '../client',
      '--port',
      '{port}',
      '--host',
      '127.0.0.1',
    ],
    {
      env: { ...ENV, ...env },
      readyPath: '/login',
    },
  )
}

describeExampleFlow('hallpass/tanstack-start in examples/tanstack-start', () => start({}))

describeLifecycleFlow('examples/tanstack-start', start, {
  user: BOB,
  submit: 'button[type=submit]',
})

describe('hallpass/tanstack-start in client code', () => {
  // The component of the home route runs in the browser: it must not reach the session module, nor hallpass/tanstack-start.
  it.each([
    {
      what: "the app's session module (*.server.ts)",
      from: '../lib/session.server',
      use: 'getSession().userId',
      denied:
        /Denied by file pattern: \*\*\/\*\.server\.\*[\s\S]*Import: "\.\.\/lib\/session\.server"/,
    },
    {
      what: 'hallpass/tanstack-start itself',
      from: 'hallpass/tanstack-start',
      use: 'typeof tanstackSessions',
      denied: /Denied by marker[\s\S]*Import: "@tanstack\/react-start\/server-only"/,
    },
  ])(
    'fails the build when a component imports $what',
    async ({ from, use, denied }) => {
      const dir = join(ROOT, '.variants', `tanstack-client-import-${from.replace(/\W+/g, '-')}`)
      rmSync(dir, { recursive: true, force: true })
      for (const entry of ['src', 'vite.config.ts', 'tsconfig.json'])
        cpSync(join(exampleDir('tanstack-start'), entry), join(dir, entry), { recursive: true })
      const home = join(dir, 'src', 'routes', 'index.tsx')
      const name = use.match(/\w+(?=\(|$)/)?.[0] ?? ''
      writeFileSync(
        home,
        readFileSync(home, 'utf8')
          .replace(
            "import { createFileRoute } from '@tanstack/react-router'",
            `import { createFileRoute } from '@tanstack/react-router'\nimport { ${name} } from '${from}'`,
          )
          .replace('<p>Sign in, look at your devices, try the admin page.</p>', `<p>{${use}}</p>`),
      )
      try {
        const output = await failingBuild(dir, [VITE, 'build'])
        expect(output).toContain('[import-protection] Import denied in client environment')
        expect(output).toMatch(denied)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
    300_000,
  )
})
