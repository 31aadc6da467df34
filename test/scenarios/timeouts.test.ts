// Idle and absolute timeouts on every adapter, driven by the injected clock (no sleeping).
import { expect, it } from 'vitest'
import { describeMatrix } from './harness/matrix.ts'
import { ABSOLUTE_MS, IDLE_MS } from './harness/world.ts'

describeMatrix('timeouts', (s) => {
  it('ends a session left idle, and clears its cookie', async () => {
    await s.browser.post('/login?user=alice')
    s.world.clock.advance(IDLE_MS - 60_000)
    expect((await s.browser.get('/whoami')).json.userId).toBe('alice')
    s.world.clock.advance(IDLE_MS + 1)
    const expired = await s.browser.get('/whoami')
    expect(expired.status).toBe(200)
    expect(expired.json.userId).toBeNull()
    expect(expired.setCookies.some((c) => /max-age=0/i.test(c))).toBe(true)
  })

  it('ends an active session at the absolute timeout', async () => {
    await s.browser.post('/login?user=alice')
    const stolen = s.browser.cookie as string
    for (let elapsed = 0; elapsed + IDLE_MS / 2 < ABSOLUTE_MS; elapsed += IDLE_MS / 2) {
      s.world.clock.advance(IDLE_MS / 2)
      expect((await s.browser.get('/whoami')).json.userId).toBe('alice')
    }
    s.world.clock.advance(IDLE_MS / 2)
    expect((await s.browser.get('/whoami')).json.userId).toBeNull()
    expect((await s.newBrowser().get('/admin', { cookie: stolen })).status).toBe(401)
  })

  it('does not let the client extend a session: an old cookie replayed after expiry stays dead', async () => {
    await s.browser.post('/login?user=alice')
    const cookie = s.browser.cookie as string
    s.world.clock.advance(IDLE_MS + 1)
    await s.browser.get('/whoami')
    s.world.clock.set(s.world.clock() - IDLE_MS)
    expect((await s.newBrowser().get('/whoami', { cookie })).json.userId).toBeNull()
  })
})
