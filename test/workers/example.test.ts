// The Workers example (examples/workers-hono: Hono, sessions in a Durable Object), served by workerd from its own wrangler.jsonc and driven in Chromium.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium.ts'
import { buildLibrary, exampleDir } from '../frameworks/harness.ts'
import { serve, type RunningWorker } from './workerd.ts'

const DIR = exampleDir('workers-hono')
/** Where workerd keeps the example's Durable Object state, as wrangler dev does. */
const STATE = join(DIR, '.wrangler')
/** The example's wrangler.jsonc plus its .dev.vars as `vars`: what `wrangler dev` hands the runtime. */
const DEV_CONFIG = join(DIR, '.wrangler.dev.json')

function writeDevConfig(): void {
  const jsonc = readFileSync(join(DIR, 'wrangler.jsonc'), 'utf8')
  // JSONC as the example writes it: whole-line comments and trailing commas.
  const json = jsonc.replace(/^\s*\/\/.*$/gm, '').replace(/,(\s*[}\]])/g, '$1')
  const config = JSON.parse(json) as Record<string, unknown>
  const vars: Record<string, string> = {}
  for (const line of readFileSync(join(DIR, '.dev.vars'), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim())
    if (match) vars[match[1]!] = match[2]!
  }
  writeFileSync(DEV_CONFIG, JSON.stringify({ ...config, vars }))
}

function cleanUp(): void {
  rmSync(STATE, { recursive: true, force: true })
  rmSync(DEV_CONFIG, { force: true })
}
let worker: RunningWorker
let browser: Browser
let origin: string

beforeAll(async () => {
  await buildLibrary() // the example imports hallpass as a user does: the built package
  cleanUp()
  writeDevConfig()
  const esbuild = createRequire(import.meta.url).resolve('esbuild/bin/esbuild')
  worker = await serve(
    ['serve', DEV_CONFIG, '--socket-addr', 'http=127.0.0.1:0', '--control-fd=3'],
    DIR,
    cleanUp,
    { ...process.env, WORKERD_ESBUILD: esbuild },
  )
  // localhost: a secure context on plain http, so the __Host- cookie is kept as in production.
  origin = worker.url.replace('127.0.0.1', 'localhost')
  browser = await launchChromium()
}, 180_000)
afterAll(async () => {
  await browser?.close()
  await worker?.stop()
})

describe('examples/workers-hono in Chromium', () => {
  it('sign in, see the session, sign out; the signed-out cookie replayed is refused', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${origin}/`)
    await expect.poll(() => page.textContent('#status')).toBe('Not signed in.')
    await page.fill('#user', 'ada')
    await Promise.all([page.waitForURL(`${origin}/`), page.click('#sign-in')])
    expect(await page.textContent('#status')).toMatch(/^\s*Signed in as ada since\s+\d{4}-/)
    const cookies = await context.cookies()
    const signedIn = cookies.find((c) => c.name === '__Host-hp')
    expect(signedIn).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' })

    await Promise.all([page.waitForURL(`${origin}/`), page.click('#sign-out')])
    expect(await page.textContent('#status')).toBe('Not signed in.')
    expect((await context.cookies()).some((c) => c.value === signedIn!.value)).toBe(false)

    // A copy of the old cookie (stolen before the sign-out) opens nothing.
    await context.addCookies([signedIn!])
    await page.reload()
    expect(await page.textContent('#status')).toBe('Not signed in.')
    await context.close()
  })
})
