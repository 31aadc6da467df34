// The reference app's admin API: access rules, the idle-timeout setting, roles and revocation. SQLite and Redis.
import { expect, it } from 'vitest'
import { Agent, errorOf, type AppUnderTest } from './harness.ts'
import { describeOnStores } from './stores.ts'

const ADMIN_ROUTES: Array<[string, string, unknown?]> = [
  ['GET', '/api/admin/settings'],
  ['PUT', '/api/admin/settings', { idleTimeoutMinutes: 10 }],
  ['GET', '/api/admin/users'],
  ['PUT', '/api/admin/users/x/role', { role: 'admin' }],
  ['POST', '/api/admin/users/x/revoke-sessions'],
]

async function signedIn(
  app: AppUnderTest,
  role: 'admin' | 'user',
): Promise<{ agent: Agent; id: string; email: string; password: string }> {
  const user = await app.createUser(role)
  const agent = new Agent(app)
  expect((await agent.login(user.email, user.password)).status).toBe(200)
  return { agent, ...user }
}

describeOnStores('admin API', {}, (run) => {
  it('admin routes: 401 when anonymous, 403 for a non-admin', async () => {
    const { app } = run()
    const anonymous = new Agent(app)
    const { agent: user } = await signedIn(app, 'user')
    for (const [method, path, json] of ADMIN_ROUTES) {
      const sent = json === undefined ? {} : { json }
      const a = await anonymous.send(method, path, sent)
      expect(a.status, `${method} ${path}`).toBe(401)
      expect(await errorOf(a)).toMatchObject({ code: 'UNAUTHENTICATED' })
      const u = await user.send(method, path, sent)
      expect(u.status, `${method} ${path}`).toBe(403)
      expect(await errorOf(u)).toMatchObject({ code: 'FORBIDDEN' })
    }
  })

  it('idle timeout: GET and PUT, 5..1440 whole minutes, else 400', async () => {
    const { app } = run()
    const { agent } = await signedIn(app, 'admin')
    expect(await (await agent.send('GET', '/api/admin/settings')).json()).toEqual({
      idleTimeoutMinutes: 30,
    })
    for (const bad of [4, 1441, 0, -5, 10.5, '10', null]) {
      const res = await agent.send('PUT', '/api/admin/settings', {
        json: { idleTimeoutMinutes: bad },
      })
      expect(res.status, String(bad)).toBe(400)
      expect(await errorOf(res)).toMatchObject({ code: 'INVALID_INPUT' })
    }
    for (const good of [5, 1440, 30]) {
      const res = await agent.send('PUT', '/api/admin/settings', {
        json: { idleTimeoutMinutes: good },
      })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ idleTimeoutMinutes: good })
      expect(await (await agent.send('GET', '/api/admin/settings')).json()).toEqual({
        idleTimeoutMinutes: good,
      })
    }
  })

  it('the idle timeout applies to every session from its next request on', async () => {
    const { app } = run()
    const { agent: admin } = await signedIn(app, 'admin')
    const { agent: user } = await signedIn(app, 'user')
    const { agent: remembered, email, password } = await signedIn(app, 'user')
    await remembered.login(email, password, true)
    try {
      expect(
        (await admin.send('PUT', '/api/admin/settings', { json: { idleTimeoutMinutes: 5 } }))
          .status,
      ).toBe(200)
      const idleLeft = Date.parse((await user.status()).session?.idleExpiresAt ?? '') - Date.now()
      expect(idleLeft).toBeGreaterThan(3 * 60_000)
      expect(idleLeft).toBeLessThanOrEqual(5 * 60_000 + 1000)
      app.advance(6 * 60_000) // six idle minutes, past the new limit, within the old one
      expect(await user.status()).toEqual({ authenticated: false })
      expect(await admin.status()).toEqual({ authenticated: false })
      expect((await remembered.status()).authenticated).toBe(true) // remember-me has its own limit
    } finally {
      app.deps.settings.setIdleTimeoutMinutes(30)
    }
  })

  it('GET /api/admin/users lists users with their session counts', async () => {
    const { app } = run()
    const { agent } = await signedIn(app, 'admin')
    const target = await signedIn(app, 'user')
    await new Agent(app).login(target.email, target.password)
    const res = await agent.send('GET', '/api/admin/users')
    expect(res.status).toBe(200)
    const { users } = (await res.json()) as {
      users: Array<{ id: string; email: string; name: string; role: string; sessionCount: number }>
    }
    expect(users.find((u) => u.id === target.id)).toEqual({
      id: target.id,
      email: target.email,
      name: 'Test user',
      role: 'user',
      sessionCount: 2,
    })
    expect(users.find((u) => u.email === 'admin@example.com')).toMatchObject({
      role: 'admin',
      sessionCount: 0,
    })
    expect(JSON.stringify(users)).not.toMatch(/hash|argon/i)
  })

  it("a role change takes effect on the user's next request, with a new session id", async () => {
    const { app } = run()
    const { agent: admin } = await signedIn(app, 'admin')
    const target = await signedIn(app, 'user')
    const before = await target.agent.status()
    const oldCookie = target.agent.sessionCookie as string
    expect((await target.agent.send('GET', '/api/admin/users')).status).toBe(403)

    const res = await admin.send('PUT', `/api/admin/users/${target.id}/role`, {
      json: { role: 'admin' },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ user: { id: target.id, role: 'admin' } })
    expect((await target.agent.send('GET', '/api/admin/users')).status).toBe(200)
    const after = await target.agent.status()
    expect(after.user?.role).toBe('admin')
    expect(after.session?.id).not.toBe(before.session?.id)
    const stale = new Agent(app)
    stale.cookies.set('hp', oldCookie)
    expect(await stale.status()).toEqual({ authenticated: false }) // the old id died with the change of privilege

    expect(
      (await admin.send('PUT', `/api/admin/users/${target.id}/role`, { json: { role: 'user' } }))
        .status,
    ).toBe(200)
    expect((await target.agent.send('GET', '/api/admin/settings')).status).toBe(403)
    expect((await target.agent.status()).user?.role).toBe('user')
  })

  it('role changes: 400 for an unknown role, 404 for an unknown user, 409 for the last admin', async () => {
    const { app } = run()
    const { agent, id } = await signedIn(app, 'admin')
    expect(
      (await agent.send('PUT', `/api/admin/users/${id}/role`, { json: { role: 'root' } })).status,
    ).toBe(400)
    const missing = await agent.send('PUT', '/api/admin/users/no-such-user/role', {
      json: { role: 'user' },
    })
    expect(missing.status).toBe(404)
    expect(await errorOf(missing)).toMatchObject({ code: 'NOT_FOUND' })
    // Demote every admin but one; the last one refuses.
    const admins = app.deps.users.list().filter((u) => u.role === 'admin' && u.id !== id)
    for (const other of admins) app.deps.users.setRole(other.id, 'user')
    try {
      const last = await agent.send('PUT', `/api/admin/users/${id}/role`, {
        json: { role: 'user' },
      })
      expect(last.status).toBe(409)
      expect(await errorOf(last)).toMatchObject({ code: 'LAST_ADMIN' })
    } finally {
      for (const other of admins) app.deps.users.setRole(other.id, 'admin')
    }
  })

  it("POST /api/admin/users/:id/revoke-sessions signs the user out everywhere; the admin's own keeps the current one", async () => {
    const { app } = run()
    const admin = await signedIn(app, 'admin')
    const target = await signedIn(app, 'user')
    const second = new Agent(app)
    await second.login(target.email, target.password)
    const res = await admin.agent.send('POST', `/api/admin/users/${target.id}/revoke-sessions`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ revoked: 2 })
    expect((await target.agent.status()).authenticated).toBe(false)
    expect((await second.status()).authenticated).toBe(false)
    expect((await admin.agent.send('POST', '/api/admin/users/nobody/revoke-sessions')).status).toBe(
      404,
    )

    const elsewhere = new Agent(app)
    await elsewhere.login(admin.email, admin.password)
    expect(
      await (await admin.agent.send('POST', `/api/admin/users/${admin.id}/revoke-sessions`)).json(),
    ).toEqual({ revoked: 1 })
    expect((await admin.agent.status()).authenticated).toBe(true)
    expect((await elsewhere.status()).authenticated).toBe(false)
  })
})
