// hallpass/next server actions in a real Next.js 16 app (built for production, Node 24): csrf.exempt never covers them,
// and an action refused over plain http with a Secure cookie says why in the server log, once per reason.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binOf, buildWithNode, launchChromium, ROOT, startApp, type RunningApp } from './harness.ts'

const ENV = { SESSION_SECRET: 'next-actions-test-secret-0123456789-abcdefgh' }
const DIR = join(ROOT, '.variants', 'next-actions')

/**
 * A one-page app with the default Secure cookie and two counting server actions: one bound through
 * `nextSessions(sessions, { csrf: { exempt: ['/'] } })`, one through plain `nextSessions(sessions)`.
 */
const FILES: Record<string, string> = {
  'next.config.mjs': `export default { turbopack: { root: ${JSON.stringify(ROOT)} } }\n`,
  'lib/session.js': [
    `import 'server-only'`,
    `import { createSessions } from 'hallpass'`,
    `import { nextSessions } from 'hallpass/next'`,
    `export const sessions = createSessions({ secret: process.env.SESSION_SECRET })`,
    `export const { sessionAction } = nextSessions(sessions)`,
    `export const exemptAction = nextSessions(sessions, { csrf: { exempt: ['/'] } }).sessionAction`,
    '',
  ].join('\n'),
  'app/actions.js': [
    `'use server'`,
    `import { exemptAction, sessionAction } from '../lib/session'`,
    `const count = async (session) => { session.set('n', (session.get('n') ?? 0) + 1) }`,
    `export const bump = sessionAction(count)`,
    `export const bumpExempt = exemptAction(count)`,
    '',
  ].join('\n'),
  'app/layout.js': `export default function Layout({ children }) { return <html><body>{children}</body></html> }\n`,
  'app/page.js': [
    `import { bump, bumpExempt } from './actions'`,
    `export const dynamic = 'force-dynamic'`,
    `export default function Page() {`,
    `  return <><form id="plain" action={bump}><button id="bump" type="submit">bump</button></form>`,
    `    <form id="exempt" action={bumpExempt}><button type="submit">bump</button></form></>`,
    `}`,
    '',
  ].join('\n'),
}

let app: RunningApp
let browser: Browser

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true })
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(join(DIR, file, '..'), { recursive: true })
    writeFileSync(join(DIR, file), text)
  }
  await buildWithNode(DIR, [binOf('next'), 'build'], ENV)
  app = await startApp(DIR, [binOf('next'), 'start', '-p', '{port}', '-H', '127.0.0.1'], {
    env: ENV,
  })
  browser = await launchChromium()
}, 600_000)

afterAll(async () => {
  await browser?.close()
  await app?.stop()
  rmSync(DIR, { recursive: true, force: true })
})

/** An action's id, from the hidden field Next renders into its form (`plain` or `exempt`). */
async function actionId(form: 'plain' | 'exempt'): Promise<string> {
  const html = await (await fetch(`${app.origin}/`)).text()
  const id = new RegExp(`<form id="${form}"[^>]*>.*?name="\\$ACTION_ID_([0-9a-f]+)"`).exec(
    html,
  )?.[1]
  if (!id)
    throw new Error(`no server action id for the ${form} form in the page:\n${html.slice(0, 2000)}`)
  return id
}

/** Invokes an action as Next's client does, with the headers given (and no Origin unless given). */
async function invoke(
  form: 'plain' | 'exempt',
  headers: Record<string, string>,
): Promise<Response> {
  return fetch(`${app.origin}/`, {
    method: 'POST',
    headers: {
      'next-action': await actionId(form),
      'content-type': 'text/plain;charset=UTF-8',
      accept: 'text/x-component',
      ...headers,
    },
    body: '[]',
  })
}

const warningsFor = (reason: string): string[] =>
  app
    .output()
    .split('\n')
    .filter((line) => line.includes(`reason ${reason}`))
const sessionCookieOf = (response: Response): string[] =>
  response.headers.getSetCookie().filter((c) => c.startsWith('__Host-hp='))

describe('hallpass/next server actions in a built app', { timeout: 120_000 }, () => {
  it('csrf.exempt: ["/"] does not let a cross-site action through (Next lets one without Origin in)', async () => {
    const response = await invoke('exempt', { 'sec-fetch-site': 'cross-site' })
    expect(response.status).toBe(500)
    expect(sessionCookieOf(response)).toEqual([])
    await expect.poll(() => warningsFor('cross_site').length).toBe(1)
  })

  it('plain http with the default Secure cookie: actions are refused, and the log says why once', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(`${app.origin}/`)
      for (let click = 0; click < 2; click++) {
        const answered = page.waitForResponse((r) => r.request().method() === 'POST')
        await page.click('#bump')
        expect((await answered).status()).toBe(500)
        if (click === 0) await page.goto(`${app.origin}/`)
      }
      expect((await page.context().cookies()).filter((c) => c.name === '__Host-hp')).toEqual([])
    } finally {
      await page.close()
    }
    // Another reason's warning, written after both refusals: once it is in the log, so is any repeat of the first.
    await invoke('plain', {})
    await expect.poll(() => warningsFor('token_missing').length).toBe(1)
    const lines = warningsFor('origin_mismatch')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`plain http (Origin "${app.origin}")`)
    expect(lines[0]).toContain(`"${app.origin.replace('http:', 'https:')}"`)
    expect(lines[0]).toMatch(/next dev --experimental-https.*secure: false.*trustProxy/)
  })
})
