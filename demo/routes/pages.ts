// Server-rendered pages: /login, / (dashboard), /sessions (devices) and /admin. Anonymous visitors are sent to /login.
import { Hono } from 'hono'
import { idleTimeoutMinutes, listDevices, listUsers } from '../actions.ts'
import type { AppContext, AppDeps, AppEnv } from '../http.ts'
import { adminPage } from '../pages/admin.ts'
import { dashboardPage } from '../pages/dashboard.ts'
import { messagePage, messagesFrom } from '../pages/layout.ts'
import { loginPage } from '../pages/login.ts'
import { sessionsPage } from '../pages/sessions.ts'

const DEFAULT_PASSWORDS = { admin: 'admin-password-123', user: 'user-password-123' }

/** The props every page needs: its CSRF token and the flash messages named in the query string. */
export function pageBasics(c: AppContext): { csrf: string; notice?: string; error?: string } {
  return { csrf: c.get('csrfToken')(), ...messagesFrom((name) => c.req.query(name)) }
}

/** The login page props that depend on the configuration (outside production, the demo accounts). */
export function loginExtras(
  deps: AppDeps,
): Pick<Parameters<typeof loginPage>[0], 'demoAccounts' | 'rememberDays' | 'absoluteHours'> {
  const { config } = deps
  const accounts = [
    {
      email: 'admin@example.com',
      password: config.adminPassword,
      role: 'admin',
      isDefault: config.adminPassword === DEFAULT_PASSWORDS.admin,
    },
    {
      email: 'user@example.com',
      password: config.userPassword,
      role: 'user',
      isDefault: config.userPassword === DEFAULT_PASSWORDS.user,
    },
  ]
  const shown = config.production ? [] : accounts.filter((a) => a.isDefault)
  return {
    demoAccounts: shown.length > 0 ? shown : undefined,
    rememberDays: Math.round(config.rememberTimeout / 86_400),
    absoluteHours: Math.round(config.absoluteTimeout / 3600),
  }
}

export function pageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.get('/login', (c) => {
    if (c.get('user')) return c.redirect('/', 303)
    return c.html(loginPage({ ...pageBasics(c), ...loginExtras(deps) }))
  })

  app.get('/', (c) => {
    const user = c.get('user')
    const session = c.get('session')
    if (!user || session.id === null) return c.redirect('/login', 303)
    return c.html(
      dashboardPage({
        ...pageBasics(c),
        user,
        session: {
          id: session.id,
          createdAt: session.createdAt,
          expiresAt: session.expiresAt,
          idleExpiresAt: session.idleExpiresAt,
          persistent: session.persistent,
        },
        idleMinutes: idleTimeoutMinutes(deps),
      }),
    )
  })

  app.get('/sessions', async (c) => {
    const user = c.get('user')
    if (!user) return c.redirect('/login', 303)
    return c.html(
      sessionsPage({
        ...pageBasics(c),
        user,
        devices: await listDevices(deps, c.get('session'), user),
      }),
    )
  })

  app.get('/admin', async (c) => {
    const user = c.get('user')
    if (!user) return c.redirect('/login', 303)
    if (user.role !== 'admin') return c.html(forbiddenPage(c), 403)
    return c.html(
      adminPage({
        ...pageBasics(c),
        user,
        idleMinutes: idleTimeoutMinutes(deps),
        users: await listUsers(deps),
      }),
    )
  })

  return app
}

export function forbiddenPage(c: AppContext): ReturnType<typeof messagePage> {
  return messagePage(
    { title: 'Not allowed', csrf: signedInToken(c), user: c.get('user') },
    'Admins only',
    'Your account does not have access to this page.',
  )
}

export function notFoundPage(c: AppContext): ReturnType<typeof messagePage> {
  return messagePage(
    { title: 'Not found', csrf: signedInToken(c), user: c.get('user') },
    'Page not found',
    'There is nothing at this address.',
  )
}

/** The token for the logout form of a signed-in user; none (and so no pre-session cookie) for anonymous visitors. */
function signedInToken(c: AppContext): string {
  return c.get('user') ? c.get('csrfToken')() : ''
}
