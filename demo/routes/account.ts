// JSON API for the signed-in user: profile (/api/me) and devices (/api/sessions).
import { Hono } from 'hono'
import { z } from 'zod'
import { listDevices, revokeDevice, revokeOtherDevices } from '../actions.ts'
import { ApiError, currentUser, readJson, type AppDeps, type AppEnv } from '../http.ts'

const MeBody = z.object({ name: z.string().trim().min(1, 'name must not be empty').max(100) })

export function accountRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.get('/api/me', (c) => c.json({ user: currentUser(c) }))

  app.put('/api/me', async (c) => {
    const user = currentUser(c)
    const { name } = await readJson(c, MeBody)
    const updated = deps.users.setName(user.id, name) ?? user
    c.set('user', updated)
    return c.json({ user: updated })
  })

  app.get('/api/sessions', async (c) => {
    const user = currentUser(c)
    const devices = await listDevices(deps, c.get('session'), user)
    return c.json({
      sessions: devices.map((d) => ({
        id: d.id,
        current: d.current,
        createdAt: d.createdAt,
        lastSeenAt: d.lastSeenAt,
        expiresAt: d.expiresAt,
        idleExpiresAt: d.idleExpiresAt,
        persistent: d.persistent,
        userAgent: d.userAgent,
        device: d.device,
        ip: d.ip,
        deviceBound: d.deviceBound,
      })),
    })
  })

  app.post('/api/sessions/revoke-others', async (c) => {
    const user = currentUser(c)
    return c.json({ revoked: await revokeOtherDevices(deps, c.get('session'), user) })
  })

  app.delete('/api/sessions/:id', async (c) => {
    const user = currentUser(c)
    if (!(await revokeDevice(deps, c.get('session'), user, c.req.param('id')))) {
      throw new ApiError(404, 'NOT_FOUND', 'No session of yours has that id.')
    }
    return c.body(null, 204)
  })

  return app
}
