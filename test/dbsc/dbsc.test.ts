// DBSC in the core, over the fetch adapter on real HTTP: config errors, RS256, older draft headers, route policy, rotation, concurrency.
import { describe, expect, it } from 'vitest'
import { sealedCookies } from '../../src/sealed/index.ts'
import type { SessionsOptions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { testSessions } from '../support/sessions.ts'
import { makeKey, proof } from './agent.ts'
import { reasons, start } from './app.ts'

describe('deviceBound configuration', () => {
  it.each([
    [{ deviceBound: { nope: 1 } }, /unknown deviceBound option "nope"/],
    [
      { deviceBound: { boundCookieTtl: '10m', challengeTtl: '5m' } },
      /challengeTtl must be longer than boundCookieTtl/,
    ],
    [{ deviceBound: { boundCookieTtl: '1s' } }, /at least 10s/],
    [{ deviceBound: { enforce: 'sometimes' } }, /'session' or 'route'/],
    [{ deviceBound: { algorithms: ['HS256'] } }, /ES256/],
    [{ deviceBound: { registrationPath: '/x', refreshPath: '/x' } }, /must differ/],
    [{ deviceBound: { refreshPath: 'relative' } }, /plain absolute path/],
    [{ deviceBound: true, cookieCache: true }, /cannot be combined with cookieCache/],
    [{ deviceBound: true, store: sealedCookies() }, /needs a store/],
  ])('refuses %j at creation', (options, message) => {
    expect(() => testSessions(options as Partial<SessionsOptions>)).toThrow(message)
  })
})

describe('deviceBound protocol details', () => {
  it('RS256: a 2048-bit RSA key registers and refreshes', async () => {
    const t = await start({ deviceBound: { algorithms: ['RS256'] } })
    const browser = t.agent({ alg: 'RS256' })
    const login = await browser.request('POST', '/login')
    expect(login.headers.get('secure-session-registration')).toMatch(/^\(RS256\);/)
    expect(browser.bound).toBeDefined()
    t.clock.advance(10 * 60_000 + 1)
    expect((await browser.request('GET', '/open')).json.userId).toBe('alice')
    expect(t.events.filter((e) => e.type === 'dbsc.refreshed')).toHaveLength(1)
  })

  it('accepts the earlier drafts: Sec-Session-Response / Sec-Session-Id, unquoted values, the key as a `key` claim', async () => {
    const t = await start()
    const browser = t.agent({ supportsDbsc: false })
    await browser.request('POST', '/login')
    const key = await makeKey()
    const jwt = await proof(key, { jti: browser.lastOffer!.challenge, key: key.jwk })
    const registered = await browser.send('POST', '/dbsc/register', { 'sec-session-response': jwt })
    expect(registered.status).toBe(200)
    const id = registered.json.session_identifier as string
    const challenged = await browser.send('POST', '/dbsc/refresh', { 'sec-session-id': id })
    expect(challenged.status).toBe(403)
    const challenge = /^"([^"]+)";id="([^"]+)"$/.exec(
      challenged.headers.get('secure-session-challenge') ?? '',
    )
    expect(challenge?.[2]).toBe(id)
    const refreshed = await browser.send('POST', '/dbsc/refresh', {
      'sec-session-id': id,
      'sec-session-response': await proof(key, { jti: challenge?.[1] }),
    })
    expect(refreshed.status).toBe(200)
  })

  it('refuses a private key, alg none, a wrong typ and an expired registration challenge, each with its reason', async () => {
    const t = await start()
    const browser = t.agent({ supportsDbsc: false })
    await browser.request('POST', '/login')
    const offer = browser.lastOffer!
    const key = await makeKey()
    const register = (jwt: string) =>
      browser.send('POST', '/dbsc/register', { 'secure-session-response': `"${jwt}"` })
    const leaked = { ...key.jwk, d: 'AAAA' }
    expect(
      (await register(await proof(key, { jti: offer.challenge }, { header: { jwk: leaked } }))).json
        .error.reason,
    ).toBe('key_invalid')
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dbsc+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ jti: offer.challenge })).toString('base64url')}.`
    expect((await register(none)).json.error.reason).toBe('jwt_malformed')
    expect(
      (
        await register(
          await proof(key, { jti: offer.challenge }, { withKey: true, header: { typ: 'JWT' } }),
        )
      ).json.error.reason,
    ).toBe('jwt_malformed')
    expect((await browser.send('POST', '/dbsc/register')).json.error.reason).toBe('proof_missing')
    t.clock.advance(16 * 60_000)
    const late = await register(await proof(key, { jti: offer.challenge }, { withKey: true }))
    expect(late.json.error.reason).toBe('challenge_expired')
    expect(reasons(t.events)).toEqual([
      'key_invalid',
      'jwt_malformed',
      'jwt_malformed',
      'proof_missing',
      'challenge_expired',
    ])
    expect((await t.sessions.listSessions('alice'))[0]?.deviceBound).toBe(false)
  })

  it("enforce 'route': only guarded routes need the bound cookie; a refusal is audited", async () => {
    const t = await start({ deviceBound: { enforce: 'route' } })
    const browser = t.agent()
    await browser.request('POST', '/login')
    const stolen = browser.cookie as string
    t.clock.advance(10 * 60_000 + 1)
    const thief = t.agent()
    expect((await thief.send('GET', '/open', { cookie: stolen })).json.userId).toBe('alice')
    expect((await thief.send('GET', '/guarded', { cookie: stolen })).status).toBe(401)
    expect(reasons(t.events)).toEqual(['bound_cookie_expired'])
    expect((await browser.request('GET', '/guarded')).json).toEqual({ ok: true })
    const unbound = t.agent({ supportsDbsc: false })
    await unbound.request('POST', '/login?user=bob')
    expect((await unbound.request('GET', '/guarded')).json).toEqual({ ok: true }) // never registered: works as today
    expect((await t.agent().send('GET', '/guarded')).status).toBe(401) // anonymous
  })

  it('regenerate: the device gets the new id on its next request, with its binding; login drops it', async () => {
    const t = await start()
    const browser = t.agent()
    const first = await browser.request('POST', '/login')
    const bound = browser.bound
    const staged = await browser.request('POST', '/regenerate')
    expect(staged.json.id).toBe(first.json.id) // the new id waits for the device
    expect(browser.hasLiveCookie('hp-dbsc')).toBe(false) // the response removed the bound cookie: the device refreshes
    const after = await browser.request('GET', '/open')
    expect(after.json.id).not.toBe(first.json.id)
    expect(browser.bound?.id).toBe(bound?.id)
    expect(t.events.filter((e) => e.type === 'session.regenerated')).toHaveLength(1)
    expect((await t.sessions.listSessions('alice'))[0]?.deviceBound).toBe(true)
    browser.bound = undefined
    t.clock.advance(60_000) // a new sign-in, a minute later
    const relogin = await browser.request('POST', '/login')
    expect(relogin.headers.get('secure-session-registration')).not.toBeNull()
    const rebound = browser.bound as { id: string } | undefined // set again by the agent's registration
    expect(rebound?.id).toBeDefined()
    expect(rebound?.id).not.toBe(bound?.id)
  })

  it('registration is offered once per sign-in: on the login response, not on pages or a regenerate', async () => {
    const t = await start()
    const browser = t.agent({ supportsDbsc: false })
    const offer = (reply: { headers: Headers }) => reply.headers.get('secure-session-registration')
    const page = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }
    const login = await browser.request('POST', '/login')
    expect(offer(login)).not.toBeNull()
    expect(offer(await browser.request('GET', '/open'))).toBeNull()
    expect(offer(await browser.request('GET', '/open', page))).toBeNull()
    const regenerated = await browser.request('POST', '/regenerate')
    expect(regenerated.json.id).not.toBe(login.json.id) // an unbound session rotates at once
    expect(offer(regenerated)).toBeNull()
    expect(offer(await t.agent().request('GET', '/open', page))).toBeNull()
  })

  it('the registration answer carries the first refresh challenge: the first refresh is one request', async () => {
    const t = await start()
    const browser = t.agent()
    await browser.request('POST', '/login')
    expect(browser.bound?.challenge).toMatch(/^[A-Za-z0-9_-]{48}$/)
    t.clock.advance(10 * 60_000 + 1)
    const refreshed = await browser.refreshOnce(browser.bound!)
    expect(refreshed.status).toBe(200)
    expect(browser.sent).toHaveLength(2) // the registration proof and one refresh proof, no 403 in between
    expect((await browser.request('GET', '/open')).json.userId).toBe('alice')
  })

  it('an idle-expired bound session cannot be refreshed back to life', async () => {
    const t = await start({ idleTimeout: '15m', absoluteTimeout: '1h' })
    const browser = t.agent()
    await browser.request('POST', '/login')
    t.clock.advance(16 * 60_000)
    const refresh = await browser.refreshOnce(browser.bound!)
    expect(refresh.status).toBe(401)
    expect(refresh.json.error.reason).toBe('no_session')
  })

  it('ten concurrent refreshes over one challenge: exactly one succeeds', async () => {
    const t = await start({ store: memoryStore() })
    const browser = t.agent()
    await browser.request('POST', '/login')
    await browser.refreshOnce(browser.bound!) // get a challenge
    const jwt = await proof(browser.key!, { jti: browser.bound!.challenge })
    const id = browser.bound!.id
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        browser.send('POST', '/dbsc/refresh', {
          'sec-secure-session-id': `"${id}"`,
          'secure-session-response': `"${jwt}"`,
        }),
      ),
    )
    expect(replies.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(403)])
  })
})
