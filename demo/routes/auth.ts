// JSON API for authentication: CSRF token, login, logout, session status, password change.
import { Hono } from 'hono'
import { z } from 'zod'
import { changePassword, signIn } from '../actions.ts'
import {
  ApiError,
  clientIp,
  currentUser,
  errorResponse,
  iso,
  readJson,
  type AppDeps,
  type AppEnv,
} from '../http.ts'

const LoginBody = z.object({
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
  rememberMe: z.boolean().default(false),
})

const PasswordBody = z.object({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z.string().min(12, 'the new password must be at least 12 characters').max(128),
})

/** The one answer for an unknown email, a wrong password and a locked account. */
export const INVALID_CREDENTIALS = {
  code: 'INVALID_CREDENTIALS',
  message: 'Wrong email or password.',
} as const

/** What logout sends besides clearing the cookie: the browser drops its cache, cookies and storage for this origin. */
export const CLEAR_SITE_DATA = '"cache", "cookies", "storage"'

export function authRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const ipOf = clientIp

  app.get('/api/csrf', (c) => c.json({ csrfToken: c.get('csrfToken')() }))

  app.post('/api/auth/login', async (c) => {
    const input = await readJson(c, LoginBody)
    const result = await signIn(deps, c.get('session'), input, ipOf(c))
    if (result.ok) return c.json({ user: result.user })
    if (result.reason === 'invalid')
      return errorResponse(c, 401, INVALID_CREDENTIALS.code, INVALID_CREDENTIALS.message)
    const retryAfter = { 'retry-after': String(result.retryAfter) }
    if (result.reason === 'throttled')
      return errorResponse(
        c,
        429,
        'LOGIN_THROTTLED',
        'Too many failed sign-ins from this network. Try again later.',
        retryAfter,
      )
    return errorResponse(
      c,
      503,
      'THROTTLE_UNAVAILABLE',
      'Sign-in is temporarily unavailable. Try again shortly.',
      retryAfter,
    )
  })

  app.post('/api/auth/logout', async (c) => {
    await c.get('session').logout()
    c.header('clear-site-data', CLEAR_SITE_DATA)
    return c.body(null, 204)
  })

  app.get('/api/auth/session', (c) => {
    const session = c.get('session')
    const user = c.get('user')
    if (!user || session.id === null) return c.json({ authenticated: false })
    return c.json({
      authenticated: true,
      user,
      session: {
        id: session.id,
        createdAt: iso(session.createdAt),
        expiresAt: iso(session.expiresAt),
        idleExpiresAt: iso(session.idleExpiresAt),
        persistent: session.persistent,
      },
    })
  })

  app.post('/api/auth/password', async (c) => {
    const user = currentUser(c)
    const input = await readJson(c, PasswordBody)
    const result = await changePassword(deps, c.get('session'), user, input, ipOf(c))
    if (result.ok) return c.json({ ok: true, revoked: result.revoked })
    if (result.reason === 'wrong')
      throw new ApiError(403, 'WRONG_PASSWORD', 'The current password is not correct.')
    const headers = { 'retry-after': String(result.retryAfter) }
    if (result.reason === 'throttled')
      throw new ApiError(
        429,
        'LOGIN_THROTTLED',
        'Too many wrong passwords. Try again later.',
        headers,
      )
    throw new ApiError(
      503,
      'THROTTLE_UNAVAILABLE',
      'Password changes are temporarily unavailable. Try again shortly.',
      headers,
    )
  })

  return app
}
