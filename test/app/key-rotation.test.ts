// The reference app's key rotation across restarts: SESSION_SECRET_PREVIOUS added, then removed, and nobody is signed out.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Agent, startApp, type AppUnderTest } from './harness.ts'

const OLD = 'rotation-old-secret-0123456789-abcdefghijklmnop'
const NEW = 'rotation-new-secret-9876543210-qrstuvwxyzABCDEF'
const dir = mkdtempSync(join(tmpdir(), 'hallpass-rotation-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The same browser on a restarted app: its cookies move over. */
function carry(from: Agent, app: AppUnderTest): Agent {
  const agent = new Agent(app, from.userAgent)
  for (const [name, value] of from.cookies) agent.cookies.set(name, value)
  return agent
}

describe('reference app: key rotation across restarts', () => {
  it('SESSION_SECRET → SESSION_SECRET + SESSION_SECRET_PREVIOUS → SESSION_SECRET alone keeps the user signed in', async () => {
    const database = join(dir, 'app.db')
    const first = await startApp({ env: { DATABASE_PATH: database, SESSION_SECRET: OLD } })
    const user = await first.createUser('user')
    const browser = new Agent(first)
    expect((await browser.login(user.email, user.password, true)).status).toBe(200)
    const original = browser.sessionCookie as string
    await first.close()

    const rotating = await startApp({
      env: { DATABASE_PATH: database, SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD },
    })
    const during = carry(browser, rotating)
    const status = await during.send('GET', '/api/auth/session')
    expect(((await status.json()) as { authenticated: boolean }).authenticated).toBe(true)
    expect(
      status.headers.getSetCookie().some((c) => c.startsWith('hp=') && /Max-Age=\d/.test(c)),
    ).toBe(true) // re-signed, remember-me kept
    const resigned = during.sessionCookie as string
    expect(resigned.split('.')[0]).not.toBe(original.split('.')[0])
    expect(resigned.split('.')[1]).toBe(original.split('.')[1]) // the same token
    await rotating.close()

    const retired = await startApp({ env: { DATABASE_PATH: database, SESSION_SECRET: NEW } })
    expect((await carry(during, retired).status()).authenticated).toBe(true)
    const stale = new Agent(retired)
    stale.cookies.set('hp', original)
    expect((await stale.status()).authenticated).toBe(false)
    await retired.close()
  })
})
