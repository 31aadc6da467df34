// The core scenarios again with the cookie cache on and in sealed-cookie mode, on every adapter.
import { expect, it } from 'vitest'
import { describeMatrix, type Scenario } from './harness/matrix.ts'
import { ABSOLUTE_MS, IDLE_MS, type Mode } from './harness/world.ts'

function scenarios(mode: Mode) {
  return (s: Scenario) => {
    it('login gives a new id with the user; the pre-login cookie never carries the user', async () => {
      const before = await s.browser.post('/set?key=theme&value=dark')
      const preLogin = s.browser.cookie as string
      const login = await s.browser.post('/login?user=alice')
      expect(login.json.id).not.toBe(before.json.id)
      expect((await s.browser.get('/whoami')).json).toMatchObject({
        userId: 'alice',
        data: { theme: 'dark' },
      })
      expect((await s.newBrowser().get('/whoami', { cookie: preLogin })).json.userId).toBeNull()
    })

    it('shows each write to the very next request', async () => {
      await s.browser.post('/login?user=alice')
      for (let i = 0; i < 5; i++) {
        await s.browser.post(`/set?key=n&value=${i}`)
        expect((await s.browser.get('/whoami')).json.data.n).toBe(String(i))
      }
    })

    it('logout ends the session: replaying the old cookies gives nothing', async () => {
      await s.browser.post('/login?user=alice')
      const stolen = s.browser.cookie as string
      const out = await s.browser.post('/logout')
      expect(out.setCookies.some((c) => /max-age=0/i.test(c))).toBe(true)
      expect((await s.newBrowser().get('/whoami', { cookie: stolen })).json.userId).toBeNull()
    })

    it('ends idle and over-age sessions on the server clock', async () => {
      await s.browser.post('/login?user=alice')
      s.world.clock.advance(IDLE_MS + 1)
      expect((await s.browser.get('/whoami')).json.userId).toBeNull()
      const active = s.newBrowser()
      await active.post('/login?user=bob')
      for (let elapsed = 0; elapsed + IDLE_MS / 2 < ABSOLUTE_MS; elapsed += IDLE_MS / 2) {
        s.world.clock.advance(IDLE_MS / 2)
        expect((await active.get('/whoami')).json.userId).toBe('bob')
      }
      s.world.clock.advance(IDLE_MS / 2)
      expect((await active.get('/whoami')).json.userId).toBeNull()
    })

    it('a forged or truncated cookie is anonymous, never a 500', async () => {
      await s.browser.post('/login?user=alice')
      const real = (s.browser.cookie as string).split('; ').find((c) => c.startsWith('hp='))!
      for (const cookie of [
        `${real.slice(0, -4)}AAAA`,
        real.slice(0, 30),
        'hp=1.%00%ff',
        `${real}; ${real}`,
      ]) {
        const reply = await s.newBrowser().get('/whoami', { cookie })
        expect(reply.status).toBe(200)
        expect(reply.json.userId).toBeNull()
      }
    })

    it('a store outage is a 503 for signed-in requests, and recovery needs no restart', async () => {
      await s.browser.post('/login?user=alice')
      s.world.clock.advance(mode === 'cache' ? 31_000 : 0) // past the snapshot, so the store is asked
      s.world.store.down = true
      const down = await s.browser.get('/whoami')
      expect(down.status).toBe(503)
      expect(down.text).not.toMatch(/ECONNREFUSED|secret-internal-host/)
      s.world.store.down = false
      expect((await s.browser.get('/whoami')).json.userId).toBe('alice')
    })
  }
}

describeMatrix('cookie cache', scenarios('cache'), 'cache')
describeMatrix('sealed cookies', scenarios('sealed'), 'sealed')
