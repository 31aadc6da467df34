// Device-bound sessions (DBSC) on every front door that can offer registration, driven by a protocol-level user agent with real key pairs.
import { expect, it } from 'vitest'
import { DbscAgent, makeKey, proof } from '../dbsc/agent.ts'
import { ALL_DOORS, describeMatrix, type Scenario } from './harness/matrix.ts'

const TEN_MINUTES = 10 * 60_000

describeMatrix(
  'device-bound sessions',
  (s: Scenario) => {
    const agent = (options?: ConstructorParameters<typeof DbscAgent>[2]) =>
      new DbscAgent(s.app.url, s.world.clock, options)
    const reasons = () =>
      s.world.events.flatMap((e) => (e.type === 'dbsc.rejected' ? [e.reason] : []))
    const signIn = async (browser: DbscAgent, user = 'alice') => {
      const login = await browser.request('POST', `/login?user=${user}`)
      expect(login.status).toBe(200)
      return login
    }

    it('login offers registration; the agent registers an ES256 key; the session is listed as device-bound', async () => {
      const browser = agent()
      const login = await signIn(browser)
      expect(login.headers.get('secure-session-registration')).toMatch(
        /^\(ES256 RS256\);path="\/dbsc\/register";challenge="[A-Za-z0-9_-]{48}"$/,
      )
      expect(browser.bound).toMatchObject({ refreshUrl: '/dbsc/refresh', cookieName: 'hp-dbsc' })
      expect(browser.hasLiveCookie('hp-dbsc')).toBe(true)
      expect((await browser.request('GET', '/whoami')).json.userId).toBe('alice')
      const [listed] = await s.world.sessions.listSessions('alice')
      expect(listed?.deviceBound).toBe(true)
      expect(s.world.events.some((e) => e.type === 'dbsc.registered' && e.alg === 'ES256')).toBe(
        true,
      )
    })

    it('a run-out bound cookie is refreshed in one request (challenge from registration), or after a 403', async () => {
      const browser = agent()
      await signIn(browser)
      expect(browser.bound?.challenge).toBeDefined() // sent with the registration answer
      s.world.clock.advance(TEN_MINUTES + 1)
      // What a browser without the refresh gets: no session
      expect((await browser.send('GET', '/whoami')).json.userId).toBeNull()
      const first = await browser.refreshOnce(browser.bound!)
      expect(first.status).toBe(200)
      expect(first.json).toMatchObject({
        session_identifier: browser.bound?.id,
        credentials: [{ type: 'cookie', name: 'hp-dbsc' }],
      })
      expect(browser.bound?.challenge).toBeDefined() // the next challenge came with the 200
      expect((await browser.request('GET', '/whoami')).json.userId).toBe('alice')
      s.world.clock.advance(TEN_MINUTES + 1)
      browser.bound!.challenge = undefined // a browser that lost the cached challenge: 403 with one, then the proof
      const second = await browser.refresh()
      expect(second.status).toBe(200)
      expect((await browser.request('GET', '/whoami')).json.userId).toBe('alice')
    })

    it('stolen cookies: the copy works until the bound cookie runs out, then the thief can neither use nor refresh it', async () => {
      const victim = agent()
      await signIn(victim)
      const thief = agent()
      victim.cloneCookiesInto(thief)
      const stolen = victim.cookie as string // the raw Cookie header, replayed as is (Max-Age means nothing to a thief)
      expect((await thief.send('GET', '/whoami', { cookie: stolen })).json.userId).toBe('alice') // within the bound cookie's 10 minutes
      s.world.clock.advance(TEN_MINUTES + 1)
      const refused = await thief.send('GET', '/whoami', { cookie: stolen })
      expect(refused.status).toBe(307) // sent back without the bound cookie, which only the key can renew
      expect(refused.headers.get('location')).toBe('/whoami')
      expect((await thief.send('GET', '/whoami')).json.userId).toBeNull() // its jar dropped the expired cookie: anonymous
      // The thief knows the DBSC session id and gets a challenge, but can only sign it with another key.
      thief.bound = { ...victim.bound!, challenge: undefined }
      thief.key = await makeKey()
      expect((await thief.refreshOnce(thief.bound)).status).toBe(403)
      const forged = await thief.refreshOnce(thief.bound)
      expect(forged.status).toBe(401)
      expect(forged.json.error.reason).toBe('bad_signature')
      expect((await thief.send('GET', '/whoami')).json.userId).toBeNull()
      expect((await victim.request('GET', '/whoami')).json.userId).toBe('alice') // the real device refreshes and goes on
      expect(reasons()).toEqual(
        expect.arrayContaining(['bound_cookie_expired', 'bound_cookie_missing', 'bad_signature']),
      )
    })

    it('a re-issue reaches only the device: a copied jar asking first gets no new id and nothing to bind', async () => {
      const victim = agent()
      const login = await signIn(victim)
      const thief = agent()
      victim.cloneCookiesInto(thief)
      const first = await thief.request('POST', '/rotate?roles=admin')
      expect(first.json).toMatchObject({ userId: 'alice', id: login.json.id, roles: ['admin'] })
      expect(first.headers.get('secure-session-registration')).toBeNull()
      expect((await thief.request('GET', '/whoami')).json.userId).toBeNull()
      const mine = await victim.request('GET', '/whoami') // sent back once, refreshed with the key, re-issued
      expect(mine.json).toMatchObject({ userId: 'alice', roles: ['admin'] })
      expect(mine.json.id).not.toBe(login.json.id)
      const listed = await s.world.sessions.listSessions('alice')
      expect(listed.map((l) => [l.id, l.deviceBound])).toEqual([[mine.json.id, true]])
    })

    it('a browser that lost its key is anonymous, not locked out: it signs in again and binds a new key', async () => {
      const browser = agent()
      const first = await signIn(browser)
      browser.bound = undefined
      browser.key = undefined
      s.world.clock.advance(TEN_MINUTES + 1)
      expect((await browser.request('GET', '/whoami')).json.userId).toBeNull()
      s.world.clock.advance(60_000)
      const again = await signIn(browser)
      expect(again.json.id).not.toBe(first.json.id)
      expect(browser.bound).toBeDefined()
      expect((await browser.request('GET', '/whoami')).json.userId).toBe('alice')
    })

    it('a replayed or altered refresh proof is refused', async () => {
      const browser = agent()
      await signIn(browser)
      s.world.clock.advance(TEN_MINUTES + 1)
      expect((await browser.refresh()).status).toBe(200)
      const used = browser.sent.at(-1) as string
      const replay = await browser.refreshOnce(browser.bound!, { jwt: used })
      expect(replay.status).toBe(403)
      expect(replay.json.error.reason).toBe('challenge_replayed')
      const [head, , signature] = (
        await proof(browser.key!, { jti: browser.bound!.challenge })
      ).split('.')
      const altered = `${head}.${Buffer.from(JSON.stringify({ jti: 'x'.repeat(48) })).toString('base64url')}.${signature}`
      expect((await browser.refreshOnce(browser.bound!, { jwt: altered })).json.error.reason).toBe(
        'bad_signature',
      )
      expect(reasons()).toEqual(expect.arrayContaining(['challenge_replayed', 'bad_signature']))
    })

    it('an expired challenge is refused with a fresh one, which then works', async () => {
      const browser = agent()
      await signIn(browser) // the challenge for the first refresh came with the registration answer
      s.world.clock.advance(16 * 60_000) // past challengeTtl (boundCookieTtl + 5m)
      const late = await browser.refreshOnce(browser.bound!)
      expect(late.status).toBe(403)
      expect(late.json.error.reason).toBe('challenge_expired')
      expect((await browser.refreshOnce(browser.bound!)).status).toBe(200)
    })

    it("a proof over another session's challenge, another session's id, or without jti is refused", async () => {
      const alice = agent()
      await signIn(alice, 'alice')
      const bob = agent()
      await signIn(bob, 'bob')
      await bob.refreshOnce(bob.bound!) // bob now holds a challenge for his session
      const crossed = await alice.refreshOnce(alice.bound!, {
        jwt: await proof(alice.key!, { jti: bob.bound!.challenge }),
      })
      expect(crossed.json.error.reason).toBe('challenge_invalid')
      const wrongId = await alice.refreshOnce(alice.bound!, { sessionId: bob.bound!.id })
      expect(wrongId.status).toBe(401)
      expect(wrongId.json.error.reason).toBe('session_mismatch')
      const noJti = await alice.refreshOnce(alice.bound!, {
        jwt: await proof(alice.key!, { nonce: 'n' }),
      })
      expect(noJti.json.error.reason).toBe('challenge_missing')
      expect(reasons()).toEqual(
        expect.arrayContaining(['challenge_invalid', 'session_mismatch', 'challenge_missing']),
      )
    })

    it('registration refuses a key that did not sign the proof, a reused challenge, and a second key for a bound session', async () => {
      const browser = agent({ supportsDbsc: false })
      await signIn(browser)
      const offer = browser.lastOffer!
      const signer = await makeKey()
      const claimed = await makeKey()
      const mismatched = await proof(
        signer,
        { jti: offer.challenge },
        { header: { jwk: claimed.jwk } },
      )
      const bad = await browser.send('POST', offer.path, {
        'secure-session-response': `"${mismatched}"`,
      })
      expect(bad.status).toBe(400)
      expect(bad.json.error.reason).toBe('bad_signature')
      expect((await browser.register(offer)).status).toBe(200)
      const again = await browser.register(offer, await makeKey())
      expect(again.status).toBe(409)
      expect(again.json.error.reason).toBe('already_bound')
    })

    it('a browser without DBSC ignores the offer and keeps working with the session cookie alone', async () => {
      const browser = agent({ supportsDbsc: false })
      await signIn(browser)
      expect(browser.lastOffer).toBeDefined()
      s.world.clock.advance(TEN_MINUTES + 1)
      expect((await browser.request('GET', '/whoami')).json.userId).toBe('alice')
      expect((await browser.request('POST', '/set?key=a&value=1')).status).toBe(200)
      expect((await s.world.sessions.listSessions('alice'))[0]?.deviceBound).toBe(false)
    })

    it('logout and revoke end a bound session: its refresh is refused', async () => {
      const browser = agent()
      await signIn(browser)
      const bound = browser.bound!
      const key = browser.key!
      expect((await browser.request('POST', '/logout')).status).toBe(200)
      browser.bound = bound
      browser.key = key
      expect((await browser.refreshOnce(bound)).json.error.reason).toBe('no_session')
      const other = agent()
      await signIn(other, 'carol')
      await s.world.sessions.revokeUserSessions('carol')
      expect((await other.refreshOnce(other.bound!)).json.error.reason).toBe('no_session')
    })
  },
  'dbsc',
  // Not next-action: a sign-in in a server action gets no registration offer (Next gives actions no response
  // headers; docs/dbsc.md), so none of these rows can start there. A Next app binds through a route handler
  // sign-in: the next-route door.
  ALL_DOORS.filter((door) => door !== 'next-action'),
)
