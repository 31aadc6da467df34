// JSON API for admins: the idle-timeout setting, users and their roles, revoking a user's sessions.
import { Hono } from 'hono'
import { guard } from 'hallpass/hono'
import { z } from 'zod'
import { idleTimeoutMinutes, listUsers, revokeUserSessions, setRole } from '../actions.ts'
import { ROLES } from '../db.ts'
import { ApiError, readJson, type AppDeps, type AppEnv } from '../http.ts'

const SettingsBody = z.object({
  idleTimeoutMinutes: z.number().int('idleTimeoutMinutes must be a whole number').min(5).max(1440),
})
const RoleBody = z.object({ role: z.enum(ROLES as [string, ...string[]]) })

export function adminRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  // Privileges come from the database on every request (createAccess({ load })), never from the request.
  app.use('/api/admin/*', guard(deps.access.requireRole('admin')))

  app.get('/api/admin/settings', (c) => c.json({ idleTimeoutMinutes: idleTimeoutMinutes(deps) }))

  app.put('/api/admin/settings', async (c) => {
    const { idleTimeoutMinutes: minutes } = await readJson(c, SettingsBody)
    deps.settings.setIdleTimeoutMinutes(minutes)
    return c.json({ idleTimeoutMinutes: minutes })
  })

  app.get('/api/admin/users', async (c) => c.json({ users: await listUsers(deps) }))

  app.put('/api/admin/users/:id/role', async (c) => {
    const { role } = await readJson(c, RoleBody)
    const result = setRole(deps, c.req.param('id'), role as (typeof ROLES)[number])
    if (result === 'not_found') throw new ApiError(404, 'NOT_FOUND', 'No user has that id.')
    if (result === 'last_admin')
      throw new ApiError(409, 'LAST_ADMIN', 'The last admin cannot lose the admin role.')
    return c.json({ user: result })
  })

  app.post('/api/admin/users/:id/revoke-sessions', async (c) => {
    const revoked = await revokeUserSessions(deps, c.get('session'), c.req.param('id'))
    if (revoked === 'not_found') throw new ApiError(404, 'NOT_FOUND', 'No user has that id.')
    return c.json({ revoked })
  })

  return app
}
