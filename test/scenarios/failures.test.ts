// Hostile and broken input on every adapter: forged cookies, a store outage (503), malformed requests (never a 500).
import { expect, it } from 'vitest'
import { rawHttp, rawRequest } from './harness/client.ts'
import { describeMatrix } from './harness/matrix.ts'

const STORE_DOWN = {
  error: {
    code: 'STORE_UNAVAILABLE',
    message: 'Sessions are temporarily unavailable. Try again shortly.',
  },
}

describeMatrix('failures', (s) => {
  it('treats a forged or tampered cookie as anonymous, never a 500', async () => {
    await s.browser.post('/login?user=alice&roles=admin')
    const [name, value] = (s.browser.cookie as string).split('=') as [string, string]
    const flipped = value.slice(0, 10) + (value[10] === 'A' ? 'B' : 'A') + value.slice(11)
    for (const forged of [
      `${name}=${flipped}`,
      `${name}=forged.value`,
      `${name}=${'A'.repeat(3000)}`,
      `${name}=`,
      `${name}=${value}; ${name}=${value}`,
    ]) {
      const reply = await s.newBrowser().get('/admin', { cookie: forged })
      expect(reply.status, forged.slice(0, 40)).toBe(401)
      expect(reply.text).not.toContain('admin-secret')
    }
    expect(s.world.events.some((e) => e.type === 'session.rejected')).toBe(true)
  })

  it('answers 503 with no internals when the store is down while loading', async () => {
    await s.browser.post('/login?user=alice')
    s.world.store.down = true
    const reply = await s.browser.get('/whoami')
    expect(reply.status).toBe(503)
    expect(reply.json).toEqual(STORE_DOWN)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    expect(reply.text).not.toMatch(/ECONNREFUSED|secret-internal|stack|at /)
    s.world.store.down = false
    expect((await s.browser.get('/whoami')).json.userId).toBe('alice')
  })

  it('answers 503 when the store fails inside the handler (login) or at commit (a new session)', async () => {
    await s.browser.post('/set?key=cart&value=1')
    s.world.store.down = true
    const login = await s.newBrowser().post('/login?user=alice')
    expect(login.status).toBe(503)
    expect(login.json).toEqual(STORE_DOWN)
    expect(login.setCookies).toEqual([])
    const commit = await s.newBrowser().post('/set?key=cart&value=2')
    expect(commit.status).toBe(503)
    expect(commit.json).toEqual(STORE_DOWN)
    expect(commit.setCookies).toEqual([])
    s.world.store.down = false
    expect((await s.browser.get('/whoami')).json.data.cart).toBe('1')
  })

  it('never answers a malformed request with a 500', async () => {
    const cookie = { cookie: 'hp=\x01\x02; hp2=%E0%A4%A' }
    const requests = [
      rawHttp('GET', '/whoami', cookie),
      rawHttp('GET', '/whoami', { cookie: 'a'.repeat(8000) }),
      rawHttp('GET', '/whoami', { cookie: ';;;==;=;hp;hp=;' }),
      rawHttp('GET', '/whoami', { cookie: '__Host-hp=x; HP=y; hp\u00a0=z' }),
      rawHttp('GET', '/whoami', {
        'x-forwarded-for': '\u00ff'.repeat(100),
        'user-agent': '\u00ff\u00fe',
      }),
      rawHttp('GET', '/%zz'),
      rawHttp('GET', '/%E0%A4%A'),
      rawHttp('GET', '/admin%'),
      rawHttp('POST', '/context', { 'content-type': 'application/json', 'content-length': '5' }) +
        '{"a":',
      rawHttp('GET', '/whoami', { cookie: 'x'.repeat(20_000) }),
      Buffer.concat([
        Buffer.from('GET /whoami HTTP/1.1\r\nHost: x\r\nCookie: hp='),
        Buffer.from([0xff, 0xfe, 0x80]),
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]),
      'GET /whoami HTTP/1.1\r\nHost: x\r\nCookie: a\r\nCookie: hp=1\r\nConnection: close\r\n\r\n',
      'BREW /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]
    for (const request of requests) {
      const reply = await rawRequest(s.app.url, request)
      expect
        .soft(reply.status, JSON.stringify(request.toString().slice(0, 60)))
        .toBeGreaterThanOrEqual(200)
      expect.soft(reply.status, JSON.stringify(request.toString().slice(0, 60))).toBeLessThan(500)
    }
  })
})
