// The forms behind the pages, for browsers without JavaScript: each does what its API twin does, then redirects (303).
import { Hono } from 'hono'
import {
  changePassword,
  revokeDevice,
  revokeOtherDevices,
  revokeUserSessions,
  setRole,
  signIn,
} from '../actions.ts'
import { ROLES, type Role } from '../db.ts'
import { clientIp, readForm, type AppContext, type AppDeps, type AppEnv } from '../http.ts'
import { ERRORS, type ErrorKey, type NoticeKey } from '../pages/layout.ts'
import { loginPage } from '../pages/login.ts'
import { CLEAR_SITE_DATA } from './auth.ts'
import { forbiddenPage, loginExtras, pageBasics } from './pages.ts'

const see = (
  c: AppContext,
  path: string,
  message?: { notice: NoticeKey } | { error: ErrorKey },
): Response => {
  const query =
    message === undefined
      ? ''
      : 'notice' in message
        ? `?notice=${message.notice}`
        : `?error=${message.error}`
  return c.redirect(`${path}${query}`, 303)
}

export function formRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const ipOf = clientIp

  app.post('/login', async (c) => {
    const form = await readForm(c)
    const email = (form['email'] ?? '').slice(0, 320)
    const password = (form['password'] ?? '').slice(0, 1024)
    const result =
      email && password
        ? await signIn(
            deps,
            c.get('session'),
            { email, password, rememberMe: form['rememberMe'] === 'on' },
            ipOf(c),
          )
        : undefined
    if (result?.ok) return see(c, '/')
    const reason = result?.reason ?? 'invalid'
    const status = reason === 'invalid' ? 401 : reason === 'throttled' ? 429 : 503
    if (result && !result.ok && result.reason !== 'invalid')
      c.header('retry-after', String(result.retryAfter))
    return c.html(
      loginPage({ ...pageBasics(c), ...loginExtras(deps), error: ERRORS[reason], email }),
      status,
    )
  })

  app.post('/logout', async (c) => {
    await c.get('session').logout()
    c.header('clear-site-data', CLEAR_SITE_DATA)
    return see(c, '/login', { notice: 'signed-out' })
  })

  // Everything below needs a signed-in user; anonymous form posts go to the login page.
  app.post('/account/*', signedIn)
  app.post('/sessions/*', signedIn)
  app.post('/admin/*', signedIn, async (c, next) =>
    c.get('user')?.role === 'admin' ? next() : c.html(forbiddenPage(c), 403),
  )

  app.post('/account/name', async (c) => {
    const name = ((await readForm(c))['name'] ?? '').trim()
    if (name.length < 1 || name.length > 100) return see(c, '/', { error: 'bad-name' })
    deps.users.setName(currentId(c), name)
    return see(c, '/', { notice: 'name-saved' })
  })

  app.post('/account/password', async (c) => {
    const form = await readForm(c)
    const newPassword = form['newPassword'] ?? ''
    if (newPassword.length < 12 || newPassword.length > 128)
      return see(c, '/', { error: 'weak-password' })
    const user = c.get('user')
    if (!user) return see(c, '/login')
    const result = await changePassword(
      deps,
      c.get('session'),
      user,
      { currentPassword: (form['currentPassword'] ?? '').slice(0, 1024), newPassword },
      ipOf(c),
    )
    if (result.ok) return see(c, '/', { notice: 'password-changed' })
    return see(c, '/', { error: result.reason === 'wrong' ? 'wrong-password' : result.reason })
  })

  app.post('/sessions/revoke-others', async (c) => {
    const user = c.get('user')
    if (user) await revokeOtherDevices(deps, c.get('session'), user)
    return see(c, '/sessions', { notice: 'others-revoked' })
  })

  app.post('/sessions/:id/revoke', async (c) => {
    const user = c.get('user')
    const session = c.get('session')
    const id = c.req.param('id')
    const wasCurrent = id === session.id
    if (!user || !(await revokeDevice(deps, session, user, id)))
      return see(c, '/sessions', { error: 'not-found' })
    if (wasCurrent) {
      c.header('clear-site-data', CLEAR_SITE_DATA)
      return see(c, '/login', { notice: 'signed-out' })
    }
    return see(c, '/sessions', { notice: 'device-revoked' })
  })

  app.post('/admin/settings', async (c) => {
    const raw = ((await readForm(c))['idleTimeoutMinutes'] ?? '').trim()
    const minutes = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN
    if (!(minutes >= 5 && minutes <= 1440)) return see(c, '/admin', { error: 'bad-timeout' })
    deps.settings.setIdleTimeoutMinutes(minutes)
    return see(c, '/admin', { notice: 'settings-saved' })
  })

  app.post('/admin/users/:id/role', async (c) => {
    const role = (await readForm(c))['role'] ?? ''
    if (!ROLES.includes(role as Role)) return see(c, '/admin', { error: 'not-found' })
    const result = setRole(deps, c.req.param('id'), role as Role)
    if (result === 'not_found') return see(c, '/admin', { error: 'not-found' })
    if (result === 'last_admin') return see(c, '/admin', { error: 'last-admin' })
    // Demoting yourself ends your admin access: the dashboard is where you can still go.
    return see(c, result.id === currentId(c) && role !== 'admin' ? '/' : '/admin', {
      notice: 'role-saved',
    })
  })

  app.post('/admin/users/:id/revoke-sessions', async (c) => {
    const result = await revokeUserSessions(deps, c.get('session'), c.req.param('id'))
    return see(
      c,
      '/admin',
      result === 'not_found' ? { error: 'not-found' } : { notice: 'user-sessions-revoked' },
    )
  })

  return app
}

async function signedIn(c: AppContext, next: () => Promise<void>): Promise<Response | void> {
  if (!c.get('user')) return c.redirect('/login', 303)
  await next()
}

function currentId(c: AppContext): string {
  return c.get('user')?.id ?? ''
}
