// The scenario matrix on a real runtime: every front door (fetch, Hono) and store (memory, Redis, sealed) of test/runtimes/app.ts, over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser, type Reply } from '../scenarios/harness/client.ts'
import { startRedis, type RedisServer } from '../support/redis.ts'
import { startRuntime, type RuntimeName, type RuntimeProcess } from '../support/runtimes.ts'
import { DOORS, STORES, type AppName } from './app.ts'

const ENTRY: Record<RuntimeName, string> = {
  bun: 'test/runtimes/serve-bun.ts',
  deno: 'test/runtimes/serve-deno.ts',
}

const clears = (reply: Reply): boolean => reply.setCookies.some((c) => /max-age=0/i.test(c))

/** The cookie with one character of its last segment (the MAC, or the sealed box's tag) changed. */
function tampered(cookie: string): string {
  const at = cookie.length - 3
  return cookie.slice(0, at) + (cookie[at] === 'A' ? 'B' : 'A') + cookie.slice(at + 1)
}

/** Declares the whole matrix against `runtime`, started once for the file, with its own redis-server. */
export function describeRuntime(runtime: RuntimeName): void {
  let redis: RedisServer
  let server: RuntimeProcess
  let ports: Record<AppName, number>
  const url = (app: AppName): string => `http://127.0.0.1:${ports[app]}`

  beforeAll(async () => {
    redis = await startRedis()
    server = await startRuntime(runtime, ENTRY[runtime], { REDIS_URL: redis.url })
    ports = JSON.parse(server.ready) as Record<AppName, number>
  })
  afterAll(async () => {
    await server?.stop()
    await redis?.stop()
  })

  it(`${runtime}: createSessions() at module scope and a session in the memory store leave no timer holding the process open`, async () => {
    const script = await startRuntime(runtime, 'test/runtimes/exits.ts')
    try {
      expect(JSON.parse(script.ready)).toEqual({ committed: 1 })
      expect(await script.exited).toBe(0)
    } finally {
      await script.stop()
    }
  })

  for (const door of DOORS) {
    for (const store of STORES) {
      const app: AppName = `${door}-${store}`
      describe(`${runtime}: hallpass/${door}, ${store}`, () => {
        it(
          'signs in, reads and writes, and records the client address through hallpass/' + runtime,
          async () => {
            const browser = new Browser(url(app))
            expect((await browser.get('/whoami')).json).toMatchObject({ userId: null })
            const login = await browser.post('/login?user=alice')
            expect(login.status).toBe(200)
            expect(login.setCookies).toHaveLength(1)
            expect(login.headers.get('cache-control')).toBe('no-store')
            await browser.post('/set?key=cart&value=book')
            const me = await browser.get('/whoami')
            expect(me.json).toMatchObject({
              userId: 'alice',
              ip: '127.0.0.1',
              data: { cart: 'book' },
            })
          },
        )

        it('refuses a cross-site write (CSRF) and changes nothing', async () => {
          const browser = new Browser(url(app))
          await browser.post('/login?user=alice')
          const attack = await browser.post('/set?key=cart&value=evil', {
            headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
          })
          expect(attack.status).toBe(403)
          expect(attack.setCookies).toEqual([])
          expect((await browser.get('/whoami')).json.data).not.toHaveProperty('cart')
        })

        it('treats a tampered cookie as anonymous, and the real one still works', async () => {
          const browser = new Browser(url(app))
          await browser.post('/login?user=alice')
          const forged = await browser.get('/whoami', {
            cookie: tampered(browser.cookie as string),
          })
          expect(forged.status).toBe(200)
          expect(forged.json).toMatchObject({ userId: null })
          expect((await browser.get('/whoami')).json.userId).toBe('alice')
        })

        it('signs out, and a replay of the old cookie is anonymous and writes nothing back', async () => {
          const browser = new Browser(url(app))
          await browser.post('/login?user=alice')
          const old = browser.cookie as string
          const logout = await browser.post('/logout')
          expect(logout.status).toBe(200)
          expect(clears(logout)).toBe(true)
          const replay = await browser.post('/set?key=cart&value=book', { cookie: old })
          expect(replay.json).toMatchObject({ userId: null })
          expect((await browser.get('/whoami', { cookie: old })).json).toMatchObject({
            userId: null,
          })
        })

        if (store !== 'sealed') {
          it('loses no update when writes race (update() is a compare-and-swap)', async () => {
            const browser = new Browser(url(app))
            await browser.post('/login?user=alice')
            const cookie = browser.cookie as string
            await Promise.all(
              Array.from({ length: 5 }, () => browser.post('/incr?key=n', { cookie })),
            )
            expect((await browser.get('/whoami')).json.data).toEqual({ n: 5 })
          })

          it('a request loaded before a rotation and answered after it clears nothing and is not kept', async () => {
            const browser = new Browser(url(app))
            await browser.post('/login?user=alice')
            const before = browser.cookie as string
            const name = `${runtime}-${app}`
            const late = browser.get(`/slow?gate=${name}&set=lastPage`, { cookie: before })
            await browser.get(`/_gate/reached?name=${name}`, { cookie: null })
            const rotated = await browser.post('/rotate')
            expect(browser.cookie).not.toBe(before)
            await browser.get(`/_gate/open?name=${name}`, { cookie: null })
            const reply = await late
            expect(reply.status).toBe(200)
            expect(reply.setCookies).toEqual([])
            const me = await browser.get('/whoami')
            expect(me.json).toMatchObject({ userId: 'alice', id: rotated.json.id })
            expect(me.json.data).not.toHaveProperty('lastPage')
            expect((await browser.get('/whoami', { cookie: before })).json.userId).toBeNull()
          })
        }
      })
    }
  }

  describe(`${runtime}: the Redis store down`, () => {
    /** Signs in on `app` until it answers 200 (the client reconnects on its own), polling every 100 ms. */
    async function signInWhenBack(browser: Browser): Promise<void> {
      for (let tries = 0; (await browser.post('/login?user=back')).status !== 200; tries++) {
        if (tries > 100) throw new Error('the store did not come back within 10 s')
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }

    for (const door of DOORS) {
      const app: AppName = `${door}-redis`
      it(`hallpass/${door}: killed, every request is a 503 that sets no cookie; restarted, sign-in works again`, async () => {
        const browser = new Browser(url(app))
        await browser.post('/login?user=alice')
        const cookie = browser.cookie as string
        await redis.kill()
        for (const reply of [
          await browser.get('/whoami'),
          await browser.post('/login?user=mallory'),
        ]) {
          expect(reply.status).toBe(503)
          expect(reply.setCookies).toEqual([])
        }
        expect(browser.cookie).toBe(cookie)
        await redis.restart()
        await signInWhenBack(browser)
        expect((await browser.get('/whoami')).json.userId).toBe('back')
      }, 30_000)

      it(`hallpass/${door}: hung (SIGSTOP), a read is a 503 after the command timeout; resumed, the session is intact`, async () => {
        const browser = new Browser(url(app))
        await signInWhenBack(browser)
        await browser.post('/set?key=cart&value=book')
        redis.pause()
        try {
          const reply = await browser.get('/whoami')
          expect(reply.status).toBe(503)
          expect(reply.setCookies).toEqual([])
        } finally {
          redis.resume()
        }
        let me = await browser.get('/whoami')
        for (let tries = 0; me.status !== 200 && tries < 100; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          me = await browser.get('/whoami')
        }
        expect(me.json).toMatchObject({ userId: 'back', data: { cart: 'book' } })
      }, 30_000)
    }
  })
}
