// A framework that bundles hallpass into the app's server chunks (Astro does, for any package with an `astro` peer
// dependency) leaves its `cookie` import to be resolved from the app's root, where the framework's own cookie 2 sits.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildLibrary, ROOT } from './harness.ts'

/** The installed package directory of the `cookie` that `from` (a package.json path) resolves. */
function cookieDir(from: string): string {
  const entry = createRequire(from).resolve('cookie')
  const at = entry.lastIndexOf('/node_modules/cookie/')
  return entry.slice(0, at + '/node_modules/cookie'.length)
}

const COOKIES = {
  'cookie 1 (hallpass’s own dependency)': cookieDir(join(ROOT, 'package.json')),
  'cookie 2 (what Astro 7 and SvelteKit 3 install)': cookieDir(
    join(ROOT, 'node_modules', 'astro', 'package.json'),
  ),
}

/** What the app's server runs: a sign-in, its Set-Cookie, and that header parsed back for a framework's cookie jar. */
const SCRIPT = `
import { createSessions } from './chunks/index.js'
import { jarCookies } from './chunks/integrations/cookies.js'
const sessions = createSessions({ secret: 'Jq8vR2mZt5Wk9Lp3Xc7Hn1Bd6Fs4Gy0Ue-bundled' })
const session = await sessions.load({})
await session.login('ada', { rememberMe: true })
const { cookies } = await session.commit()
console.log(JSON.stringify({ cookies, jar: jarCookies(cookies) }))
`

describe('hallpass bundled into an app whose root holds another major of cookie', () => {
  let work: string
  beforeAll(async () => {
    await buildLibrary()
    work = mkdtempSync(join(tmpdir(), 'hallpass-bundled-'))
  }, 600_000)
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  for (const [label, dir] of Object.entries(COOKIES)) {
    it(`signs in and sets its cookie with ${label} at the app root`, () => {
      const app = join(work, label.split(' ').slice(0, 2).join('-'))
      mkdirSync(join(app, 'node_modules'), { recursive: true })
      cpSync(join(ROOT, 'dist'), join(app, 'chunks'), { recursive: true }) // hallpass's code, bundled
      symlinkSync(dir, join(app, 'node_modules', 'cookie'))
      writeFileSync(join(app, 'package.json'), '{ "type": "module" }')
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
        cwd: app,
        encoding: 'utf8',
      })
      expect(run.stderr).toBe('')
      const { cookies, jar } = JSON.parse(run.stdout) as { cookies: string[]; jar: unknown[] }
      expect(cookies).toEqual([
        expect.stringMatching(
          /^__Host-hp=[\w.-]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
        ),
      ])
      const [pair, maxAge] = (cookies[0] ?? '').split('; ')
      expect(jar).toEqual([
        {
          name: '__Host-hp',
          value: pair?.slice('__Host-hp='.length),
          options: {
            httpOnly: true,
            secure: true,
            sameSite: 'lax',
            path: '/',
            maxAge: Number(maxAge?.slice('Max-Age='.length)),
          },
        },
      ])
    })
  }
})
