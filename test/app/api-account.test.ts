// The reference app's HTTP contract for the signed-in user: profile, password change, devices. SQLite and Redis.
import { expect, it } from 'vitest'
import { Agent, errorOf } from './harness.ts'
import { describeOnStores } from './stores.ts'

interface DeviceJson {
  id: string
  current: boolean
  createdAt: string
  lastSeenAt: string
  expiresAt: string
  userAgent: string | null
  ip: string | null
}

async function devices(agent: Agent): Promise<DeviceJson[]> {
  const res = await agent.send('GET', '/api/sessions')
  expect(res.status).toBe(200)
  return ((await res.json()) as { sessions: DeviceJson[] }).sessions
}

describeOnStores('account API', {}, (run) => {
  it('GET /api/me: 401 when anonymous, the user when signed in; PUT /api/me renames', async () => {
    const { app } = run()
    const anonymous = new Agent(app)
    const denied = await anonymous.send('GET', '/api/me')
    expect(denied.status).toBe(401)
    expect(await errorOf(denied)).toMatchObject({ code: 'UNAUTHENTICATED' })
    expect((await anonymous.send('PUT', '/api/me', { json: { name: 'X' } })).status).toBe(401)

    const user = await app.createUser('user')
    const agent = new Agent(app)
    await agent.login(user.email, user.password)
    expect(await (await agent.send('GET', '/api/me')).json()).toEqual({
      user: { id: user.id, email: user.email, name: 'Test user', role: 'user' },
    })
    const renamed = await agent.send('PUT', '/api/me', { json: { name: '  Grace Hopper  ' } })
    expect(renamed.status).toBe(200)
    expect(((await renamed.json()) as { user: { name: string } }).user.name).toBe('Grace Hopper')
    for (const name of ['', '   ', 'x'.repeat(101)]) {
      const res = await agent.send('PUT', '/api/me', { json: { name } })
      expect(res.status).toBe(400)
      expect(await errorOf(res)).toMatchObject({ code: 'INVALID_INPUT' })
    }
  })

  it('password change: wrong current password 403; success gives this session a new id and revokes the others', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const laptop = new Agent(app)
    const phone = new Agent(app)
    await laptop.login(user.email, user.password)
    await phone.login(user.email, user.password, true)

    const wrong = await laptop.send('POST', '/api/auth/password', {
      json: { currentPassword: 'not-my-password', newPassword: 'a-brand-new-password' },
    })
    expect(wrong.status).toBe(403)
    expect(await errorOf(wrong)).toMatchObject({ code: 'WRONG_PASSWORD' })
    const short = await laptop.send('POST', '/api/auth/password', {
      json: { currentPassword: user.password, newPassword: 'short' },
    })
    expect(short.status).toBe(400)

    const before = laptop.sessionCookie as string
    const beforeId = (await laptop.status()).session?.id
    const res = await laptop.send('POST', '/api/auth/password', {
      json: { currentPassword: user.password, newPassword: 'a-brand-new-password' },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, revoked: 1 })
    expect(laptop.sessionCookie).not.toBe(before)
    await laptop.csrf()
    const after = await laptop.status()
    expect(after.authenticated).toBe(true)
    expect(after.session?.id).not.toBe(beforeId)
    expect(await phone.status()).toEqual({ authenticated: false })
    const replay = new Agent(app)
    replay.cookies.set('hp', before)
    expect(await replay.status()).toEqual({ authenticated: false })
    expect((await new Agent(app).login(user.email, user.password)).status).toBe(401)
    expect((await new Agent(app).login(user.email, 'a-brand-new-password')).status).toBe(200)
    expect(
      (
        await new Agent(app).send('POST', '/api/auth/password', {
          json: { currentPassword: 'x', newPassword: 'y'.repeat(12) },
        })
      ).status,
    ).toBe(401)
  })

  it('GET /api/sessions lists the devices with the current one marked', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const firefox = new Agent(
      app,
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
    )
    const chrome = new Agent(app)
    await firefox.login(user.email, user.password)
    await chrome.login(user.email, user.password)
    const list = await devices(chrome)
    expect(list).toHaveLength(2)
    const current = list.find((d) => d.current)
    expect(current).toMatchObject({ ip: chrome.ip, userAgent: chrome.userAgent })
    expect(list.find((d) => !d.current)).toMatchObject({
      ip: firefox.ip,
      userAgent: firefox.userAgent,
    })
    for (const d of list) {
      for (const field of [d.createdAt, d.lastSeenAt, d.expiresAt])
        expect(Number.isNaN(Date.parse(field))).toBe(false)
    }
    expect((await new Agent(app).send('GET', '/api/sessions')).status).toBe(401)
  })

  it("DELETE /api/sessions/:id: 204 signs that device out; an unknown id or another user's gives 404", async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const stranger = await app.createUser('user')
    const mine = new Agent(app)
    const lost = new Agent(app)
    const theirs = new Agent(app)
    await mine.login(user.email, user.password)
    await lost.login(user.email, user.password)
    await theirs.login(stranger.email, stranger.password)
    const lostId = (await lost.status()).session?.id as string
    const theirId = (await theirs.status()).session?.id as string

    expect((await mine.send('DELETE', `/api/sessions/${theirId}`)).status).toBe(404)
    expect((await theirs.status()).authenticated).toBe(true)
    const unknown = await mine.send('DELETE', `/api/sessions/${'B'.repeat(26)}`)
    expect(unknown.status).toBe(404)
    expect(await errorOf(unknown)).toMatchObject({ code: 'NOT_FOUND' })

    const res = await mine.send('DELETE', `/api/sessions/${lostId}`)
    expect(res.status).toBe(204)
    expect(await lost.status()).toEqual({ authenticated: false })
    expect((await mine.status()).authenticated).toBe(true)
    expect((await mine.send('DELETE', `/api/sessions/${lostId}`)).status).toBe(404)
  })

  it('deleting the current session is a logout', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const agent = new Agent(app)
    await agent.login(user.email, user.password)
    const id = (await agent.status()).session?.id as string
    const res = await agent.send('DELETE', `/api/sessions/${id}`)
    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie().find((c) => c.startsWith('hp='))).toMatch(/Max-Age=0/i)
    expect(await agent.status()).toEqual({ authenticated: false })
  })

  it('POST /api/sessions/revoke-others: "log out everywhere else" returns how many', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const agents = [new Agent(app), new Agent(app), new Agent(app)]
    for (const agent of agents) await agent.login(user.email, user.password)
    const [keeper, a, b] = agents as [Agent, Agent, Agent]
    const res = await keeper.send('POST', '/api/sessions/revoke-others')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ revoked: 2 })
    expect((await a.status()).authenticated).toBe(false)
    expect((await b.status()).authenticated).toBe(false)
    expect((await keeper.status()).authenticated).toBe(true)
    expect(await devices(keeper)).toHaveLength(1)
  })

  it('MAX_SESSIONS_PER_USER caps the devices: the oldest to expire is signed out', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const agents: Agent[] = []
    for (let i = 0; i < 11; i++) {
      const agent = new Agent(app)
      await agent.login(user.email, user.password)
      agents.push(agent)
    }
    expect(await devices(agents[10] as Agent)).toHaveLength(10)
    expect((await (agents[0] as Agent).status()).authenticated).toBe(false)
  })
})
