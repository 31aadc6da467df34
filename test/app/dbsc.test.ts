// The reference app with DEVICE_BOUND_SESSIONS=true, driven by the DBSC protocol agent: sign in, bind, refresh, and a stolen copy refused.
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
  expect(refused.status).toBe(401)
  expect(refused.json.error).toMatchObject({ code: 'DEVICE_BOUND_REFUSED', reason: 'bound_cookie_expired' })

  const me = await device.request('GET', '/api/me') // the device refreshes with its key first
  expect(me.status).toBe(200)
  expect(me.json.user.email).toBe(user.email)
  expect((await thief.send('GET', '/api/me', { cookie: stolen })).status).toBe(401)
})
