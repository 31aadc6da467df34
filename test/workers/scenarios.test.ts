// The scenarios on real workerd: hallpass/fetch and hallpass/hono, on the Durable Object store and on sealed cookies.
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser } from '../scenarios/harness/client.ts'
import { startWorker, type RunningWorker } from './workerd.ts'

const SECRET = 'workers-test-secret-0123456789-abcdefghijklmnop'
let worker: RunningWorker

beforeAll(async () => {
  worker = await startWorker({
    entry: fileURLToPath(new URL('./app-worker.ts', import.meta.url)),
    durableObject: 'OutageSessions',
    vars: { SESSION_SECRET: SECRET },
  })
})
afterAll(() => worker?.stop())

/** A fresh user name per test: the objects outlive tests within the file. */
let users = 0
const fresh = (): string => `user-${process.pid}-${++users}`

/** The session cookie a browser holds (`hp`, not `__Host-hp`: plain http on loopback). */
function sessionCookie(browser: Browser): string {
  const pair = browser.cookie?.split('; ').find((c) => c.startsWith('hp='))
  if (!pair) throw new Error(`no session cookie in ${browser.cookie}`)
  return pair
}

/** True when a reply removes the session cookie. */
const clears = (setCookies: string[]): boolean =>
  setCookies.some((c) => c.startsWith('hp=') && /max-age=0/i.test(c))

for (const door of ['fetch', 'hono'] as const) {
  for (const mode of ['do', 'sealed'] as const) {
    describe(`workerd, hallpass/${door}, ${mode === 'do' ? 'Durable Object store' : 'sealed cookies (revocation in the Durable Object)'}`, () => {
      const open = (): Browser => new Browser(`${worker.url}/${door}/${mode}`)

      it('sign-in, reads and writes: the session holds the user and each key written', async () => {
        const browser = open()
        expect((await browser.get('/whoami')).json).toEqual({ user: null, data: {} })
        const user = fresh()
        expect((await browser.post(`/login?user=${user}`)).status).toBe(200)
        await browser.post('/set?key=theme&value=dark')
        await browser.post('/set?key=lang&value=en')
        expect((await browser.get('/whoami')).json).toEqual({
          user,
          data: { theme: 'dark', lang: 'en' },
        })
      })

      it('CSRF: a cross-site POST is refused with 403 and writes nothing', async () => {
        const browser = open()
        await browser.post(`/login?user=${fresh()}`)
        const forged = await browser.post('/set?key=theme&value=evil', {
          headers: { 'sec-fetch-site': 'cross-site' },
        })
        expect(forged.status).toBe(403)
        const foreign = await browser.post('/set?key=theme&value=evil', {
          headers: { 'sec-fetch-site': null, origin: 'https://evil.example' },
        })
        expect(foreign.status).toBe(403)
        expect((await browser.get('/whoami')).json.data).toEqual({})
      })

      it('a request that raced a rotation is anonymous and never clears the new cookie', async () => {
        const browser = open()
        const user = fresh()
        await browser.post(`/login?user=${user}`)
        const before = sessionCookie(browser)
        await browser.post('/regenerate')
        expect(sessionCookie(browser)).not.toBe(before)
        const late = await browser.get('/whoami', { cookie: before })
        expect(late.json.user).toBeNull()
        // A tombstone says "rotated a moment ago". Sealed mode has none: its reply clears the cookie (see the report).
        if (mode === 'do') expect(clears(late.setCookies)).toBe(false)
        expect((await browser.get('/whoami')).json.user).toBe(user)
      })

      it('logout ends the session, and replaying its cookie gives nothing', async () => {
        const browser = open()
        await browser.post(`/login?user=${fresh()}`)
        const stolen = sessionCookie(browser)
        const out = await browser.post('/logout')
        expect(clears(out.setCookies)).toBe(true)
        expect((await browser.get('/whoami')).json.user).toBeNull()
        const replay = await browser.get('/whoami', { cookie: stolen })
        expect(replay.status).toBe(200)
        expect(replay.json.user).toBeNull()
      })

      it('a tampered cookie is anonymous (200, never a 500) and ends nothing', async () => {
        const browser = open()
        const user = fresh()
        await browser.post(`/login?user=${user}`)
        const pair = sessionCookie(browser)
        const last = pair.at(-1) === 'A' ? 'B' : 'A'
        for (const cookie of [pair.slice(0, -1) + last, pair.slice(0, 30), 'hp=1.%00%ff']) {
          const tampered = await browser.get('/whoami', { cookie })
          expect(tampered.status).toBe(200)
          expect(tampered.json.user).toBeNull()
        }
        expect((await browser.get('/whoami')).json.user).toBe(user)
      })
    })
  }

  describe(`workerd, hallpass/${door}, Durable Object store across browsers`, () => {
    const open = (): Browser => new Browser(`${worker.url}/${door}/do`)

    it('concurrent writes of different keys both persist', async () => {
      const browser = open()
      await browser.post(`/login?user=${fresh()}`)
      await Promise.all(
        ['a', 'b', 'c', 'd'].map((key) => browser.post(`/set?key=${key}&value=${key}`)),
      )
      expect((await browser.get('/whoami')).json.data).toEqual({ a: 'a', b: 'b', c: 'c', d: 'd' })
    })

    it('an unreachable object is a 503 that names nothing internal, and recovery needs no restart', async () => {
      const browser = open()
      const user = fresh()
      await browser.post(`/login?user=${user}`)
      await fetch(`${worker.url}/outage?down=1`, { method: 'POST' })
      try {
        const read = await browser.get('/whoami')
        expect(read.status).toBe(503)
        expect(read.text).not.toMatch(/object is down|Durable/)
        expect(clears(read.setCookies)).toBe(false)
        expect((await browser.post('/set?key=a&value=1')).status).toBe(503)
      } finally {
        await fetch(`${worker.url}/outage?down=0`, { method: 'POST' })
      }
      expect((await browser.get('/whoami')).json).toEqual({ user, data: {} })
    })

    it('revoking a user’s other sessions signs the other device out at once', async () => {
      const user = fresh()
      const laptop = open()
      const phone = open()
      await laptop.post(`/login?user=${user}`)
      await phone.post(`/login?user=${user}`)
      expect((await phone.get('/whoami')).json.user).toBe(user)
      expect((await laptop.post('/revoke-others')).status).toBe(200)
      expect((await phone.get('/whoami')).json.user).toBeNull()
      expect((await laptop.get('/whoami')).json.user).toBe(user)
    })
  })
}

describe('workerd, the README quick start', () => {
  it('createSessions() at module scope with the default store serves a session', async () => {
    const browser = new Browser(`${worker.url}/fetch/memory`)
    await browser.post('/login?user=quick')
    expect((await browser.get('/whoami')).json.user).toBe('quick')
    expect(worker.output()).not.toMatch(/Disallowed operation/)
  })
})

describe('workerd without nodejs_compat', () => {
  it('fails at startup with a message that names the flag to add', async () => {
    const started = startWorker({
      entry: fileURLToPath(new URL('./app-worker.ts', import.meta.url)),
      durableObject: 'OutageSessions',
      vars: { SESSION_SECRET: SECRET },
      nodejsCompat: false,
    })
    await expect(started).rejects.toThrow(/"nodejs_compat" to "compatibility_flags"/)
  })
})
