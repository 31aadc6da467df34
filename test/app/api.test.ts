// The reference app's HTTP contract for authentication, over real HTTP, on SQLite and on Redis.
import { describe, expect, it } from 'vitest'
import { Agent, errorOf } from './harness.ts'
import { describeOnStores } from './stores.ts'

const ENV = { LOGIN_MAX_FAILURES: '3', LOGIN_BACKOFF_AFTER: '3', LOGIN_IP_MAX_FAILURES: '6' }

/** The headers that must match between two "wrong credentials" answers (all but Date). */
function comparable(res: Response): Record<string, string> {
  const out: Record<string, string> = {}
  res.headers.forEach((value, name) => {
    if (name !== 'date') out[name] = value
  })
  return out
}

describeOnStores('auth API', { env: ENV }, (run) => {
  it('GET /healthz reports the store', async () => {
    const { app, kind } = run()
    const res = await fetch(`${app.base}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, store: kind })
    expect(res.headers.getSetCookie()).toEqual([])
  })

  it('GET /api/csrf works before login and sets only the pre-session cookie', async () => {
    const agent = new Agent(run().app)
    const res = await agent.send('GET', '/api/csrf')
    expect(res.status).toBe(200)
    expect(((await res.json()) as { csrfToken: string }).csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect([...agent.cookies.keys()]).toEqual(['hp-csrf'])
  })

  it('login: 200 with the user, an HttpOnly session cookie without Max-Age, and a new id over any planted one', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const agent = new Agent(app)
    agent.cookies.set('hp', '1.planted-by-an-attacker.x')
    const res = await agent.send('POST', '/api/auth/login', {
      json: { email: user.email, password: user.password },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      user: { id: user.id, email: user.email, name: 'Test user', role: 'user' },
    })
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('hp='))
    expect(cookie).toMatch(/; HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
    expect(cookie).not.toMatch(/Max-Age|Expires/i)
    expect(agent.sessionCookie).not.toContain('planted')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const status = await agent.status()
    expect(status).toMatchObject({ authenticated: true, user: { id: user.id, role: 'user' } })
    expect(status.session?.id).toMatch(/^[A-Za-z0-9_-]{26}$/)
  })

  it('login with rememberMe sets a persistent cookie of about 30 days', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const res = await new Agent(app).login(user.email, user.password, true)
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('hp=')) ?? ''
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)?.[1])
    expect(maxAge).toBeGreaterThan(2_592_000 - 60)
    expect(maxAge).toBeLessThanOrEqual(2_592_000)
  })

  it('unknown email, wrong password and locked account get the same 401 INVALID_CREDENTIALS', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const attacker = new Agent(app)
    await attacker.csrf()
    const unknown = await attacker.send('POST', '/api/auth/login', {
      json: { email: 'nobody@example.com', password: 'whatever-123' },
    })
    const wrong = await attacker.send('POST', '/api/auth/login', {
      json: { email: user.email, password: 'wrong-password' },
    })
    for (let i = 0; i < 3; i++)
      await attacker.send('POST', '/api/auth/login', {
        json: { email: user.email, password: 'wrong-password' },
      })
    // Locked now: even the right password, from another network, gets the very same answer.
    const locked = await new Agent(app).send('POST', '/api/auth/login', {
      json: { email: user.email, password: user.password },
    })
    const bodies = await Promise.all([unknown, wrong, locked].map((r) => r.text()))
    for (const res of [unknown, wrong, locked]) expect(res.status).toBe(401)
    expect(new Set(bodies).size).toBe(1)
    expect(JSON.parse(bodies[0] as string)).toEqual({
      error: { code: 'INVALID_CREDENTIALS', message: 'Wrong email or password.' },
    })
    expect(comparable(wrong)).toEqual(comparable(unknown))
    expect(comparable(locked)).toEqual(comparable(unknown))
    expect(wrong.headers.get('retry-after')).toBeNull()
  })

  it('a throttled IP gets 429 LOGIN_THROTTLED with Retry-After', async () => {
    const { app } = run()
    const agent = new Agent(app)
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      const res = await agent.send('POST', '/api/auth/login', {
        json: { email: `ghost${i}@example.com`, password: 'nope-nope-nope' },
      })
      statuses.push(res.status)
      if (res.status === 429) {
        expect(await errorOf(res)).toMatchObject({ code: 'LOGIN_THROTTLED' })
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      }
    }
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401])
    expect(statuses.at(-1)).toBe(429)
    // Another network is not affected.
    const user = await app.createUser('user')
    expect((await new Agent(app).login(user.email, user.password)).status).toBe(200)
  })

  it('CSRF: a missing or forged token, a cross-site request or a foreign Origin gets 403 and changes nothing', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const agent = new Agent(app)
    await agent.login(user.email, user.password)
    const attempts: Array<Record<string, string>> = [
      { 'x-csrf-token': '' },
      { 'x-csrf-token': 'A'.repeat(86) },
      { 'x-csrf-token': agent.token as string, 'sec-fetch-site': 'cross-site' },
      { 'x-csrf-token': agent.token as string, origin: 'http://127.0.0.1:1' },
      { 'x-csrf-token': agent.token as string, origin: 'null' },
    ]
    for (const headers of attempts) {
      const res = await agent.send('PUT', '/api/me', {
        json: { name: 'Hacked' },
        headers,
        csrf: false,
      })
      expect(res.status).toBe(403)
      expect(await errorOf(res)).toMatchObject({ code: 'CSRF_REJECTED' })
    }
    const anonymous = new Agent(app)
    const login = await anonymous.send('POST', '/api/auth/login', {
      json: { email: user.email, password: user.password },
      csrf: false,
    })
    expect(login.status).toBe(403)
    expect(anonymous.sessionCookie).toBeUndefined()
    const me = (await (await agent.send('GET', '/api/me')).json()) as { user: { name: string } }
    expect(me.user.name).toBe('Test user')
    // The token of another session is no good either.
    const other = new Agent(app)
    await other.csrf()
    const res = await agent.send('PUT', '/api/me', {
      json: { name: 'Hacked' },
      headers: { 'x-csrf-token': other.token as string },
    })
    expect(res.status).toBe(403)
  })

  it('a same-origin browser request passes CSRF on Fetch Metadata and Origin', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const agent = new Agent(app)
    await agent.login(user.email, user.password)
    const res = await agent.send('PUT', '/api/me', {
      json: { name: 'Browser' },
      headers: { 'sec-fetch-site': 'same-origin', origin: app.origin },
      csrf: false,
    })
    expect(res.status).toBe(200)
  })

  it('bad bodies: malformed JSON and wrong content type 400, invalid fields 400, over 16 KiB 413', async () => {
    const agent = new Agent(run().app)
    const cases: Array<[Parameters<Agent['send']>[2], number, string]> = [
      [
        { body: '{"email":', headers: { 'content-type': 'application/json' } },
        400,
        'MALFORMED_BODY',
      ],
      [{ form: { email: 'a@example.com', password: 'x' } }, 400, 'MALFORMED_BODY'],
      [{ json: { email: 'a@example.com' } }, 400, 'INVALID_INPUT'],
      [
        { json: { email: 'a@example.com', password: 'x', rememberMe: 'yes' } },
        400,
        'INVALID_INPUT',
      ],
      [{ json: ['not', 'an', 'object'] }, 400, 'INVALID_INPUT'],
      [
        { json: { email: 'a@example.com', password: 'x'.repeat(17_000) } },
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ]
    for (const [sent, status, code] of cases) {
      const res = await agent.send('POST', '/api/auth/login', sent)
      expect(res.status, code).toBe(status)
      const text = await res.text()
      expect(JSON.parse(text)).toMatchObject({ error: { code } })
      expect(text).not.toMatch(/\bat .*\.ts:\d+/) // never a stack trace
      expect(res.headers.get('cache-control')).toBe('no-store')
    }
  })

  it('logout: 204, session destroyed server-side, cookie cleared with Max-Age=0, Clear-Site-Data', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const agent = new Agent(app)
    await agent.login(user.email, user.password)
    const stolen = agent.sessionCookie as string
    const res = await agent.send('POST', '/api/auth/logout')
    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie().find((c) => c.startsWith('hp='))).toMatch(/Max-Age=0/i)
    expect(res.headers.get('clear-site-data')).toBe('"cache", "cookies", "storage"')
    expect(agent.sessionCookie).toBeUndefined()
    const replay = new Agent(app)
    replay.cookies.set('hp', stolen)
    expect(await replay.status()).toEqual({ authenticated: false })
    expect(await app.deps.sessions.listSessions(user.id)).toEqual([])
  })

  it('GET /api/auth/session answers anonymous visitors with { authenticated: false }', async () => {
    const res = await new Agent(run().app).send('GET', '/api/auth/session')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ authenticated: false })
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('every response carries the security headers; unknown API paths are JSON 404s', async () => {
    const { app } = run()
    for (const path of ['/api/nope', '/login', '/healthz', '/assets/app.js', '/nowhere']) {
      const res = await fetch(`${app.base}${path}`, { redirect: 'manual' })
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp, path).toContain("frame-ancestors 'none'")
      expect(csp).toContain("object-src 'none'")
      expect(csp).toContain("base-uri 'none'")
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('referrer-policy')).toBe('same-origin')
      expect(res.headers.get('strict-transport-security')).toBeNull() // development: plain HTTP
      if (path === '/api/nope') {
        expect(res.status).toBe(404)
        expect(await errorOf(res)).toMatchObject({ code: 'NOT_FOUND' })
      }
    }
  })
})

describe('production mode', () => {
  it('sends HSTS and a __Host- cookie with Secure', async () => {
    const { startApp } = await import('./harness.ts')
    const app = await startApp({ env: { NODE_ENV: 'production' } })
    try {
      const res = await fetch(`${app.base}/api/csrf`)
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d{8}/)
      expect(res.headers.getSetCookie()[0]).toMatch(
        /^__Host-hp-csrf=.*; Path=\/; HttpOnly; Secure/i,
      )
    } finally {
      await app.close()
    }
  })
})
