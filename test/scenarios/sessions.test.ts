// Scenarios on every adapter: login rotates the id, reads, writes, concurrent writes, logout and replay.
import { expect, it } from 'vitest'
import { describeMatrix } from './harness/matrix.ts'

describeMatrix('session lifecycle', (s) => {
  it('logs in with a new id, keeps the data, and the pre-login cookie dies', async () => {
    const before = await s.browser.post('/set?key=theme&value=dark')
    expect(before.status).toBe(200)
    expect(before.setCookies).toHaveLength(1)
    expect(before.headers.get('cache-control')).toBe('no-store')
    const preLogin = s.browser.cookie as string
    const login = await s.browser.post('/login?user=alice')
    expect(login.status).toBe(200)
    expect(login.setCookies[0]).toMatch(/HttpOnly/i)
    expect(login.headers.get('cache-control')).toBe('no-store')
    expect(s.browser.cookie).not.toBe(preLogin)
    expect(login.json.id).not.toBe(before.json.id)
    const me = await s.browser.get('/whoami')
    expect(me.json).toMatchObject({ userId: 'alice', isNew: false, data: { theme: 'dark' } })
    const replay = await s.browser.get('/whoami', { cookie: preLogin })
    expect(replay.json).toMatchObject({ userId: null, isNew: true, data: {} })
  })

  it('a new session knows its id in the request that first writes it, and keeps that id', async () => {
    const untouched = await s.browser.get('/whoami')
    expect(untouched.json.id).toBeNull()
    const first = await s.browser.post('/set?key=theme&value=dark')
    expect(first.json.id).toEqual(expect.any(String))
    expect((await s.browser.get('/whoami')).json).toMatchObject({
      id: first.json.id,
      isNew: false,
      data: { theme: 'dark' },
    })
  })

  it('reads without writing: no Set-Cookie, but no-store once signed in', async () => {
    const anonymous = await s.browser.get('/whoami')
    expect(anonymous.setCookies).toEqual([])
    expect(anonymous.headers.get('cache-control')).not.toBe('no-store')
    await s.browser.post('/login?user=alice')
    const read = await s.browser.get('/whoami')
    expect(read.json.userId).toBe('alice')
    expect(read.setCookies).toEqual([])
    expect(read.headers.get('cache-control')).toBe('no-store')
  })

  it('commits behind a 404 too: a signed-in user gets no-store', async () => {
    await s.browser.post('/login?user=alice')
    const missing = await s.browser.get('/no-such-page')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('cache-control')).toBe('no-store')
  })

  it('shows each write to the very next request, even when the store is slow (read-your-writes)', async () => {
    await s.browser.post('/login?user=alice')
    s.world.store.writeDelayMs = 20
    for (let i = 0; i < 5; i++) {
      await s.browser.post(`/set?key=step&value=${i}`)
      expect((await s.browser.get('/whoami')).json.data.step).toBe(String(i))
    }
  })

  it('keeps both of two concurrent writes to different keys', async () => {
    await s.browser.post('/login?user=alice')
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
    const replies = await Promise.all(
      keys.map((key) => s.browser.post(`/set?key=${key}&value=${key}`)),
    )
    expect(replies.map((r) => r.status)).toEqual(keys.map(() => 200))
    const data = (await s.browser.get('/whoami')).json.data
    for (const key of keys) expect(data[key]).toBe(key)
  })

  it('loses no increment made through update() by concurrent requests', async () => {
    await s.browser.post('/login?user=alice')
    await Promise.all(Array.from({ length: 12 }, () => s.browser.post('/incr?key=n')))
    expect((await s.browser.get('/whoami')).json.data.n).toBe(12)
  })

  it('logs out, clears the cookie, and rejects a replay of the old cookie', async () => {
    await s.browser.post('/login?user=alice&roles=admin')
    const stolen = s.browser.cookie as string
    expect((await s.browser.get('/admin')).status).toBe(200)
    const logout = await s.browser.post('/logout')
    expect(logout.setCookies.some((c) => /max-age=0/i.test(c))).toBe(true)
    expect(s.browser.cookie).toBeUndefined()
    const replay = await s.newBrowser().get('/admin', { cookie: stolen })
    expect(replay.status).toBe(401)
    expect(replay.text).not.toContain('admin-secret')
    expect((await s.newBrowser().get('/whoami', { cookie: stolen })).json.userId).toBeNull()
  })

  it('sees a revocation on the next request', async () => {
    await s.browser.post('/login?user=alice')
    await s.world.sessions.revokeUserSessions('alice')
    const after = await s.browser.get('/whoami')
    expect(after.json.userId).toBeNull()
    expect(after.setCookies.some((c) => /max-age=0/i.test(c))).toBe(true)
  })
})
