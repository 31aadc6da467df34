// CSRF decisions and tokens, attacked directly (the HTTP versions run through the adapters).
import { describe, expect, it } from 'vitest'
import { createCsrf, type CsrfRequest } from '../../src/csrf/index.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const SELF = 'http://localhost:3000'

function request(
  method: string,
  headers: Record<string, string> = {},
  path = '/api/thing',
): CsrfRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  return { method, path, selfOrigin: SELF, header: (name) => lower[name] }
}

async function setup(options: Parameters<typeof createCsrf>[1] = {}) {
  const t = testSessions()
  const csrf = createCsrf(t.sessions, options)
  const session = await t.sessions.load()
  await session.login('alice')
  const cookie = cookiePair((await session.commit()).cookies[0])
  const loaded = await t.sessions.load({ cookie })
  const token = csrf.forRequest(request('GET', { cookie })).token(loaded)
  return { ...t, csrf, cookie, session: loaded, token }
}

describe('csrf policy', () => {
  it.each([
    ['GET', {}],
    ['HEAD', {}],
    ['OPTIONS', {}],
    ['POST', { 'sec-fetch-site': 'same-origin' }],
    ['POST', { 'sec-fetch-site': 'none' }],
    ['DELETE', { origin: SELF }],
    ['PUT', { 'sec-fetch-site': 'same-origin', origin: SELF }],
  ])('passes %s with %o', async (method, headers) => {
    const { csrf, session } = await setup()
    expect(await csrf.forRequest(request(method, headers)).check(session)).toEqual({ ok: true })
  })

  it.each([
    [{ 'sec-fetch-site': 'cross-site' }, 'cross_site'],
    [{ 'sec-fetch-site': 'same-site' }, 'same_site'],
    [{ 'sec-fetch-site': 'same-origin-ish' }, 'fetch_site_unknown'],
    [{ origin: 'null' }, 'origin_null'],
    [{ origin: 'http://localhost:3001' }, 'origin_mismatch'],
    [{ origin: 'https://localhost:3000' }, 'origin_mismatch'],
    [{ origin: 'http://localhost:3000.evil.com' }, 'origin_mismatch'],
    [{ origin: 'http://evil.com@localhost:3000' }, 'origin_mismatch'],
    [{ origin: 'http://LOCALHOST:3000' }, 'origin_mismatch'],
    [{ 'sec-fetch-site': 'same-origin', origin: 'http://evil.example' }, 'origin_mismatch'],
    [{}, 'token_missing'],
    [{ 'x-http-method-override': 'GET' }, 'token_missing'],
    [{ 'content-type': 'text/plain' }, 'token_missing'],
  ])('rejects a POST with %o as %s, with an event', async (headers, reason) => {
    const { csrf, session, events } = await setup()
    expect(await csrf.forRequest(request('POST', headers)).check(session)).toEqual({
      ok: false,
      reason,
    })
    expect(events.at(-1)).toMatchObject({
      type: 'csrf.rejected',
      reason,
      method: 'POST',
      id: session.id,
    })
  })

  it('allows same-site only when configured', async () => {
    const { csrf, session } = await setup({ allowSameSite: true })
    expect(
      await csrf
        .forRequest(request('POST', { 'sec-fetch-site': 'same-site', origin: SELF }))
        .check(session),
    ).toEqual({ ok: true })
  })

  it('configured origins are matched exactly', async () => {
    const { csrf, session } = await setup({ origins: ['https://app.example.com'] })
    expect(
      await csrf.forRequest(request('POST', { origin: 'https://app.example.com' })).check(session),
    ).toEqual({ ok: true })
    expect((await csrf.forRequest(request('POST', { origin: SELF })).check(session)).ok).toBe(false)
    expect(
      (
        await csrf
          .forRequest(request('POST', { origin: 'https://app.example.com:8443' }))
          .check(session)
      ).ok,
    ).toBe(false)
  })

  it('exemptions are exact paths only', async () => {
    const { csrf, session } = await setup({ exempt: ['/webhook/'] })
    const post = (path: string) =>
      csrf.forRequest(request('POST', { 'sec-fetch-site': 'cross-site' }, path)).check(session)
    expect((await post('/webhook/')).ok).toBe(true)
    for (const path of [
      '/webhook',
      '/webhooks',
      '/webhook/../x',
      '/webhook/x',
      '/WEBHOOK/',
      '/webhook//',
    ])
      expect((await post(path)).ok).toBe(false)
  })

  it('refuses misconfiguration at startup', () => {
    const { sessions } = testSessions()
    expect(() => createCsrf(sessions, { origins: ['https://app.example.com/'] })).toThrow(
      /bare origin/,
    )
    expect(() => createCsrf(sessions, { origins: ['app.example.com'] })).toThrow(/bare origin/)
    expect(() => createCsrf(sessions, { exempt: ['webhook'] })).toThrow(/start with/)
  })
})

describe('csrf tokens', () => {
  it('a valid token passes when no metadata is sent, and is masked differently every time', async () => {
    const { csrf, session, cookie, token } = await setup()
    const again = csrf.forRequest(request('GET', { cookie })).token(session)
    expect(again).not.toBe(token)
    expect(
      await csrf.forRequest(request('POST', { 'x-csrf-token': token })).check(session),
    ).toEqual({ ok: true })
    expect(
      await csrf.forRequest(request('POST', { 'x-csrf-token': again })).check(session),
    ).toEqual({ ok: true })
    expect(await csrf.forRequest(request('POST')).check(session, () => token)).toEqual({ ok: true })
  })

  it('assert() throws CSRF_REJECTED for a cross-site request (and emits the reason), and resolves for a good one', async () => {
    const { csrf, session, token, events } = await setup()
    await expect(
      csrf
        .forRequest(request('POST', { 'sec-fetch-site': 'cross-site', 'x-csrf-token': 'forged' }))
        .assert(session),
    ).rejects.toMatchObject({ name: 'HallpassError', code: 'CSRF_REJECTED' })
    expect(
      events.filter((e) => e.type === 'csrf.rejected').map((e) => 'reason' in e && e.reason),
    ).toEqual(['cross_site'])
    await expect(
      csrf.forRequest(request('POST', { 'x-csrf-token': token })).assert(session),
    ).resolves.toBeUndefined()
  })

  it('requireToken demands a token even for same-origin requests', async () => {
    const { csrf, session, token } = await setup({ requireToken: true })
    expect(
      (await csrf.forRequest(request('POST', { 'sec-fetch-site': 'same-origin' })).check(session))
        .ok,
    ).toBe(false)
    expect(
      (
        await csrf
          .forRequest(request('POST', { 'sec-fetch-site': 'same-origin', 'x-csrf-token': token }))
          .check(session)
      ).ok,
    ).toBe(true)
  })

  it('rejects a wrong token, a flipped byte and another session’s token', async () => {
    const a = await setup()
    const other = await a.sessions.load()
    await other.login('bob')
    const bobToken = a.csrf.forRequest(request('GET')).token(other)
    const flipped = (a.token[10] === 'A' ? 'B' : 'A') + a.token.slice(1)
    for (const token of [
      'nope',
      'A'.repeat(86),
      `${a.token.slice(0, 10)}${a.token[10] === 'x' ? 'y' : 'x'}${a.token.slice(11)}`,
      flipped,
      bobToken,
    ]) {
      expect(
        await a.csrf.forRequest(request('POST', { 'x-csrf-token': token })).check(a.session),
      ).toEqual({ ok: false, reason: 'token_invalid' })
    }
  })

  it('anonymous tokens are bound to a signed pre-session cookie and die at login', async () => {
    const { sessions } = testSessions()
    const csrf = createCsrf(sessions)
    const visitor = await sessions.load()
    const first = csrf.forRequest(request('GET'))
    const token = first.token(visitor)
    const [preCookie] = first.cookies()
    expect(preCookie).toMatch(/^hp-csrf=[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/)
    const pair = cookiePair(preCookie)
    expect(
      await csrf
        .forRequest(request('POST', { cookie: pair, 'x-csrf-token': token }))
        .check(visitor),
    ).toEqual({ ok: true })
    expect(
      (await csrf.forRequest(request('POST', { 'x-csrf-token': token })).check(visitor)).ok,
    ).toBe(false)
    expect(
      (
        await csrf
          .forRequest(request('POST', { cookie: 'hp-csrf=forged.value', 'x-csrf-token': token }))
          .check(visitor)
      ).ok,
    ).toBe(false)
    await visitor.login('alice')
    expect(
      await csrf
        .forRequest(request('POST', { cookie: pair, 'x-csrf-token': token }))
        .check(visitor),
    ).toEqual({ ok: false, reason: 'token_invalid' })
  })

  it('the token rotates on login', async () => {
    const { sessions } = testSessions()
    const csrf = createCsrf(sessions)
    const session = await sessions.load()
    await session.login('alice')
    const before = csrf.forRequest(request('GET')).token(session)
    await session.login('alice')
    expect(
      (await csrf.forRequest(request('POST', { 'x-csrf-token': before })).check(session)).ok,
    ).toBe(false)
  })
})
