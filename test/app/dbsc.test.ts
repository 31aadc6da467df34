// The reference app with DEVICE_BOUND_SESSIONS=true, driven by the DBSC protocol agent: sign in, bind, refresh, a
// stolen copy refused, a role change a copied jar cannot take over (#23.7), a lost key never locks out (#23.8).
import { afterEach, expect, it } from 'vitest'
import { DbscAgent } from '../dbsc/agent.ts'
import { startApp, type AppUnderTest } from './harness.ts'

let app: AppUnderTest | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const signIn = async (agent: DbscAgent, email: string, password: string) => {
  const res = await agent.request('POST', '/api/auth/login', {}, { email, password })
  expect(res.status).toBe(200)
  return res
}

it('off by default: no registration offer after sign-in', async () => {
  app = await startApp()
  const user = await app.createUser('user')
  const agent = new DbscAgent(app.base, () => Date.now())
  const login = await signIn(agent, user.email, user.password)
  expect(login.headers.get('secure-session-registration')).toBeNull()
})

it('on: sign in, bind a key, refresh after the bound cookie runs out; a copy of the cookies on another device is refused', async () => {
  let offset = 0
  app = await startApp({ env: { DEVICE_BOUND_SESSIONS: 'true' } })
  const clock = () => Date.now() + offset
  const advance = (ms: number) => (app!.advance(ms), (offset += ms))
  const user = await app.createUser('user')
  const device = new DbscAgent(app.base, clock)
  await signIn(device, user.email, user.password)
  expect(device.bound).toMatchObject({ refreshUrl: '/dbsc/refresh', cookieName: 'hp-dbsc' })
  const listed = await device.request('GET', '/api/sessions')
  expect(listed.json.sessions[0]).toMatchObject({ current: true, deviceBound: true })

  const thief = new DbscAgent(app.base, clock)
  const stolen = device.cookie as string
  advance(11 * 60_000)
  const refused = await thief.send('GET', '/api/me', { cookie: stolen })
  expect(refused.status).toBe(307) // sent back without its stale bound cookie; only a key could refresh it
  // Its jar: the session cookie alone
  expect((await thief.request('GET', '/api/me')).json.error.code).toBe('UNAUTHENTICATED')

  const me = await device.request('GET', '/api/me') // the device refreshes with its key first
  expect(me.status).toBe(200)
  expect(me.json.user.email).toBe(user.email)
  expect((await thief.send('GET', '/api/me', { cookie: stolen })).status).toBe(307)
})

const signedInId = async (agent: DbscAgent): Promise<string> =>
  (await agent.request('GET', '/api/auth/session')).json.session.id

it("an admin changes a user's role; a copied jar asking first gets nothing; the device goes on as admin", async () => {
  app = await startApp({ env: { DEVICE_BOUND_SESSIONS: 'true' } })
  const clock = () => Date.now()
  const user = await app.createUser('user')
  const admin = await app.createUser('admin')
  const device = new DbscAgent(app.base, clock)
  await signIn(device, user.email, user.password)
  const before = await signedInId(device)
  const thief = new DbscAgent(app.base, clock)
  device.cloneCookiesInto(thief) // the whole jar, its bound cookie still live

  const adminDevice = new DbscAgent(app.base, clock)
  await signIn(adminDevice, admin.email, admin.password)
  expect(
    (await adminDevice.request('PUT', `/api/admin/users/${user.id}/role`, {}, { role: 'admin' }))
      .status,
  ).toBe(200)

  const first = await thief.request('GET', '/api/me') // the first request of that session after the change
  expect(first.json.user.role).toBe('admin') // its bound cookie was live: within the minutes a copy always works
  expect(first.headers.get('secure-session-registration')).toBeNull() // nothing for it to bind
  expect(thief.bound).toBeUndefined()
  // Its bound cookie was removed
  expect((await thief.request('GET', '/api/me')).json.error.code).toBe('UNAUTHENTICATED')
  expect((await thief.request('GET', '/api/admin/users')).status).toBe(401)

  // Sent back once: the device refreshes with its key, gets the new id
  const me = await device.request('GET', '/api/me')
  expect(me.json.user).toMatchObject({ id: user.id, role: 'admin' })
  expect((await device.request('GET', '/api/admin/users')).status).toBe(200)
  const after = await signedInId(device)
  expect(after).not.toBe(before)
  expect(await app.deps.sessions.listSessions(user.id)).toMatchObject([
    { id: after, deviceBound: true },
  ])
})

it('a lost key never locks out; a copied session cookie alone can neither use nor end the session', async () => {
  app = await startApp({ env: { DEVICE_BOUND_SESSIONS: 'true' } })
  const clock = () => Date.now()
  const user = await app.createUser('user')
  const device = new DbscAgent(app.base, clock)
  await signIn(device, user.email, user.password)
  const before = await signedInId(device)

  const thief = new DbscAgent(app.base, clock)
  thief.jar.set('hp', {
    ...(device.jar.get('hp') as { value: string; expiresAt: number | undefined }),
  })
  expect((await thief.request('GET', '/api/me')).json.error.code).toBe('UNAUTHENTICATED')
  expect((await thief.request('POST', '/api/auth/logout')).status).toBe(204)
  expect(await signedInId(device)).toBe(before) // still signed in

  device.bound = undefined // the browser's device-bound session is gone (a lost key, a failed refresh)
  device.key = undefined
  device.jar.delete('hp-dbsc')
  expect((await device.request('GET', '/api/auth/session')).json).toEqual({ authenticated: false })
  const again = await signIn(device, user.email, user.password)
  expect(again.json.user.id).toBe(user.id)
  expect(device.bound).toBeDefined() // the new session bound a new key
  expect(await signedInId(device)).not.toBe(before)
  expect((await device.request('GET', '/api/me')).status).toBe(200)
})
