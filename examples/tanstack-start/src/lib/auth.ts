// Server functions for signing in and out, the viewer and the device list. Their bodies run on the server only.
import { createServerFn } from '@tanstack/react-start'
import { redirect } from '@tanstack/react-router'
import { safeRedirectPath } from 'hallpass'
import { requireRole } from 'hallpass/guards'
import { getSession, sessions } from './session.server'
import { testHook } from './test-hooks.server'
import { findUser, verifyPassword } from './users.server'

/** The signed-in user, or null. */
export const getViewer = createServerFn({ method: 'GET' }).handler(async () => {
  const session = getSession()
  const user = session.userId ? findUser(session.userId) : undefined
  return user ? { ...user, persistent: session.persistent } : null
})

/** Whether the signed-in user may see the admin area (the role is read from the session, on the server). */
export const adminArea = createServerFn({ method: 'GET' }).handler(async () => {
  return { allowed: (await requireRole('admin')(getSession())) === 'allow' }
})

export const signIn = createServerFn({ method: 'POST' })
  .validator((data: { email: string; password: string; remember: boolean; next?: string }) => data)
  .handler(async ({ data }) => {
    const user = verifyPassword(data.email, data.password)
    if (!user) return { error: 'Wrong email or password.' }
    await getSession().login(user.id, { rememberMe: data.remember, roles: [user.role] })
    if (testHook('throw-after-login'))
      throw new Error('test hook: the sign-in failed after login()')
    // `next` comes from the query string: only a path on this site, parsed the way the browser will read it.
    throw redirect({ href: safeRedirectPath(data.next, '/account') })
  })

export const signOut = createServerFn({ method: 'POST' }).handler(async () => {
  await getSession().logout()
  throw redirect({ to: '/login' })
})

export const listDevices = createServerFn({ method: 'GET' }).handler(async () => {
  const session = getSession()
  if (!session.userId) throw redirect({ to: '/login' })
  const devices = await sessions.listSessions(session.userId)
  return devices.map((device) => ({
    id: device.id,
    device: device.device,
    lastSeenAt: device.lastSeenAt,
    current: device.id === session.id,
  }))
})

export const revokeDevice = createServerFn({ method: 'POST' })
  .validator((id: string) => id)
  .handler(async ({ data }) => {
    const session = getSession()
    if (!session.userId) throw redirect({ to: '/login' })
    return sessions.revokeSession(session.userId, data)
  })
