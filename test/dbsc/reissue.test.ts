// Device-bound sessions against a copied cookie jar: a re-issue reaches only the device (#23.7), and a request
// without its bound cookie is anonymous, so a browser that lost its key signs in again at once (#23.8). Real HTTP.
import { describe, expect, it } from 'vitest'
import { HallpassError } from '../../src/errors.ts'
import { makeKey, proof } from './agent.ts'
import { reasons, start } from './app.ts'

const TEN_MINUTES = 10 * 60_000
const withoutBoundCookie = (cookie: string) => cookie.replace(/;?\s*hp-dbsc=[^;]*/, '')

describe('regenerate() on a device-bound session', () => {
  it('a copied jar asking first after a role change gets no new id and binds nothing; the device goes on', async () => {
    const t = await start()
    const victim = t.agent()
    const login = await victim.request('POST', '/login')
    const thief = t.agent()
    victim.cloneCookiesInto(thief) // the whole jar, bound cookie still live
    const stolen = victim.cookie as string

    // The role change reaches the session first through the thief's request (the reference app's loader re-issues).
    const first = await thief.request('POST', '/regenerate?roles=admin')
    // The new id waits for the key
    expect(first.json).toMatchObject({ userId: 'alice', id: login.json.id, roles: ['admin'] })
    expect(first.headers.get('secure-session-registration')).toBeNull()
    expect(thief.hasLiveCookie('hp-dbsc')).toBe(false)
    const key = await makeKey()
    const register = await thief.send('POST', '/dbsc/register', {
      'secure-session-response': `"${await proof(key, { jti: 'x'.repeat(48) }, { withKey: true })}"`,
    })
    expect(register.status).toBe(409) // still bound to the victim's key
    expect((await thief.request('GET', '/open')).json.userId).toBeNull()
    // The old bound cookie no longer passes
    expect((await thief.send('GET', '/open', { cookie: stolen })).status).toBe(307)

    // The victim's next request (a POST with a body) is sent back once; the device refreshes and gets the new id.
    const mine = await victim.request('POST', '/set?color=blue')
    expect(mine.json).toMatchObject({ userId: 'alice', roles: ['admin'], data: { color: 'blue' } })
    expect(mine.json.id).not.toBe(login.json.id)
    expect((await victim.request('GET', '/guarded')).json).toEqual({ ok: true })
    // The old id is gone
    expect(
      (await thief.send('GET', '/open', { cookie: withoutBoundCookie(stolen) })).json.userId,
    ).toBeNull()
    expect(await t.sessions.listSessions('alice')).toMatchObject([
      { id: mine.json.id, deviceBound: true },
    ])
    expect(t.events.filter((e) => e.type === 'session.regenerated')).toHaveLength(1)
    expect(reasons(t.events)).toEqual([
      'already_bound',
      'bound_cookie_missing',
      'bound_cookie_expired',
      'bound_cookie_expired',
    ])
  })

  it('two changes before the device comes back: one new id with both', async () => {
    const t = await start()
    const device = t.agent()
    await device.request('POST', '/login')
    const session = await t.sessions.load({ cookie: device.cookie })
    await session.regenerate({ roles: ['admin'] })
    await session.regenerate({ permissions: ['reports:read'] })
    const after = await device.request('GET', '/open')
    expect(after.json.roles).toEqual(['admin'])
    const [record] = await t.sessions.store.listByUser('alice')
    expect(record).toMatchObject({
      id: after.json.id,
      roles: ['admin'],
      permissions: ['reports:read'],
    })
    expect(record?.device?.pending).toBeUndefined()
  })

  it('roles and permissions too large for the binding are refused with INVALID_ARGUMENT; nothing changes', async () => {
    const t = await start()
    const device = t.agent()
    await device.request('POST', '/login')
    const session = await t.sessions.load({ cookie: device.cookie })
    const roles = Array.from({ length: 200 }, (_, i) => `role-${i}-${'r'.repeat(100)}`)
    const refused = await session.regenerate({ roles }).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(HallpassError)
    expect((refused as HallpassError).code).toBe('INVALID_ARGUMENT')
    expect((await device.request('GET', '/open')).json.roles).toEqual(['user'])
  })
  it('a stored re-issue whose roles break the limits is invalid data: the session ends', async () => {
    const t = await start()
    const device = t.agent()
    const login = await device.request('POST', '/login')
    const [record] = await t.sessions.store.listByUser('alice')
    const binding = record?.device
    if (!binding) throw new Error('expected a bound session')
    const pending = { at: t.clock(), roles: ['r'.repeat(129)] } // one character past MAX_PRIVILEGE_LENGTH
    await t.sessions.store.patch(login.json.id, {
      set: {},
      unset: [],
      ttl: 60_000,
      device: { ...binding, pending },
    })
    expect((await device.request('GET', '/open')).json.userId).toBeNull()
    expect(t.events).toContainEqual(
      expect.objectContaining({ type: 'session.rejected', reason: 'invalid_data' }),
    )
    expect(await t.sessions.store.get(login.json.id)).toBeNull()
  })
})

describe('a request of a bound session without its bound cookie', () => {
  it('a browser that lost its key is anonymous at once and signs in again; its old session stays', async () => {
    const t = await start()
    const browser = t.agent()
    const first = await browser.request('POST', '/login')
    browser.bound = undefined // the browser's device-bound session is gone (lost key, failed refresh)
    browser.key = undefined
    t.clock.advance(TEN_MINUTES + 1) // and its bound cookie ran out
    const anonymous = await browser.request('GET', '/open')
    expect(anonymous.status).toBe(200)
    expect(anonymous.json.userId).toBeNull()
    t.clock.advance(60_000)
    const again = await browser.request('POST', '/login')
    expect(again.json.userId).toBe('alice')
    expect(again.json.id).not.toBe(first.json.id)
    expect(browser.bound).toBeDefined() // the new session was offered registration, and bound a new key
    expect((await browser.request('GET', '/guarded')).json).toEqual({ ok: true })
    expect(reasons(t.events)).toEqual(['bound_cookie_missing', 'bound_cookie_missing']) // the page, then the sign-in
    // Left to its idle timeout, or a revoke
    expect(await t.sessions.store.get(first.json.id)).toMatchObject({ userId: 'alice' })
  })

  it('a copied session cookie alone reads nothing, writes nothing, and cannot sign the device out', async () => {
    const t = await start()
    const device = t.agent()
    const login = await device.request('POST', '/login')
    const cookie = withoutBoundCookie(device.cookie as string)
    const thief = t.agent()
    const read = await thief.send('GET', '/open', { cookie })
    expect(read.json).toMatchObject({ userId: null, id: null })
    const write = await thief.send('POST', '/set?x=1', { cookie, 'sec-fetch-site': 'same-origin' })
    expect(write.json).toMatchObject({ userId: null, data: { x: '1' } })
    expect(write.headers.getSetCookie()).toEqual([]) // no new anonymous session in place of the bound one
    const logout = await thief.send('POST', '/logout', { cookie, 'sec-fetch-site': 'same-origin' })
    // Only its own copy goes
    expect(logout.headers.getSetCookie()).toEqual([
      'hp=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax',
    ])
    expect(await device.request('GET', '/open')).toMatchObject({
      json: { userId: 'alice', id: login.json.id, data: {} },
    })
    expect(reasons(t.events)).toEqual([
      'bound_cookie_missing',
      'bound_cookie_missing',
      'bound_cookie_missing',
    ])
  })

  it('a bound cookie that does not pass is removed with a 307 to the same local path and query', async () => {
    const t = await start()
    const device = t.agent()
    await device.request('POST', '/login')
    const stale = device.cookie as string
    t.clock.advance(TEN_MINUTES + 1)
    const sentBack = await device.send('GET', '/open?a=1&b=2', { cookie: stale })
    expect(sentBack.status).toBe(307)
    expect(sentBack.headers.get('location')).toBe('/open?a=1&b=2')
    expect(sentBack.headers.getSetCookie()).toEqual([
      'hp-dbsc=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax',
    ])
    expect(
      (await device.send('GET', '//evil.example/x', { cookie: stale })).headers.get('location'),
    ).toBe('/evil.example/x')
    const forged = stale.replace(/hp-dbsc=[^;]*/, `hp-dbsc=${'A'.repeat(48)}`)
    expect((await device.send('GET', '/open', { cookie: forged })).status).toBe(307)
    expect(reasons(t.events)).toEqual([
      'bound_cookie_expired',
      'bound_cookie_expired',
      'bound_cookie_invalid',
    ])
  })

  it("enforce: 'route': the request goes on, and a bound cookie that does not pass is removed", async () => {
    const t = await start({ deviceBound: { enforce: 'route' } })
    const device = t.agent()
    await device.request('POST', '/login')
    const stale = device.cookie as string
    t.clock.advance(TEN_MINUTES + 1)
    const open = await device.send('GET', '/open', { cookie: stale })
    expect(open.json.userId).toBe('alice')
    expect(open.headers.getSetCookie()).toEqual([
      'hp-dbsc=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax',
    ])
    expect((await device.send('GET', '/guarded', { cookie: stale })).status).toBe(401)
    expect((await device.request('GET', '/guarded')).json).toEqual({ ok: true }) // refreshed first
  })
})
