// createApp(deps): the whole reference app as a Hono app (headers, body limit, sessions with CSRF, user loader, routes, errors).
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { isHallpassError } from 'hallpass'
import { session } from 'hallpass/hono'
import { bodyLimit } from './body-limit.ts'
import { securityHeaders } from './headers.ts'
import { ApiError, errorResponse, type AppDeps, type AppEnv } from './http.ts'
import { accountRoutes } from './routes/account.ts'
import { adminRoutes } from './routes/admin.ts'
import { authRoutes } from './routes/auth.ts'
import { formRoutes } from './routes/forms.ts'
import { notFoundPage, pageRoutes } from './routes/pages.ts'

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024
/**
 * Most bytes of an oversized body read (and dropped) so that its sender reads the 413 rather than a reset
 * connection: a form with a photo attached by mistake gets its answer; anything larger is cut off.
 */
export const DRAIN_BODY_BYTES = 4 * 1024 * 1024
/** Most time spent reading an oversized body before answering and closing. */
const DRAIN_BODY_MS = 10_000

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use('*', securityHeaders({ production: deps.config.production }))
  app.use(
    '*',
    bodyLimit({
      maxBytes: MAX_BODY_BYTES,
      drainBytes: DRAIN_BODY_BYTES,
      drainMs: DRAIN_BODY_MS,
      tooLarge,
    }),
  )

  // No session for these: they must answer even when the store is down, and never set a cookie.
  app.get('/healthz', async (c) => {
    try {
      await deps.sessions.ping()
      return c.json({ ok: true, store: deps.storeKind })
    } catch {
      return c.json(
        {
          ok: false,
          store: deps.storeKind,
          error: { code: 'STORE_UNAVAILABLE', message: 'The session store is not answering.' },
        },
        503,
      )
    }
  })
  app.get('/assets/app.js', (c) =>
    c.body(deps.assets.script, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  )
  app.get('/assets/app.css', (c) =>
    c.body(deps.assets.css, 200, { 'content-type': 'text/css; charset=utf-8' }),
  )

  // Sessions, and CSRF on every POST/PUT/PATCH/DELETE (Fetch Metadata, exact Origin, or the masked token).
  app.use(
    '*',
    session(deps.sessions, {
      trustProxy: deps.config.trustProxy,
      csrf: { origins: [deps.config.appOrigin] },
    }),
  )
  app.use('*', loadUser(deps))

  app.route('/', authRoutes(deps))
  app.route('/', accountRoutes(deps))
  app.route('/', adminRoutes(deps))
  app.route('/', pageRoutes(deps))
  app.route('/', formRoutes(deps))

  app.notFound((c) =>
    isApi(c.req.path)
      ? errorResponse(c, 404, 'NOT_FOUND', 'There is no such endpoint.')
      : c.html(notFoundPage(c), 404),
  )

  app.onError((err, c) => {
    if (err instanceof ApiError)
      return errorResponse(c, err.status, err.code, err.message, err.headers)
    if (isHallpassError(err, 'STORE_UNAVAILABLE')) {
      return errorResponse(
        c,
        503,
        'STORE_UNAVAILABLE',
        'Sessions are temporarily unavailable. Try again shortly.',
        { 'retry-after': '1' },
      )
    }
    if (isHallpassError(err, 'SESSION_GONE'))
      return errorResponse(
        c,
        409,
        'SESSION_GONE',
        'Your session ended while this request ran. Sign in again.',
      )
    if (err instanceof HTTPException && err.status < 500)
      return errorResponse(c, err.status, 'BAD_REQUEST', 'The request could not be processed.')
    console.error(`Unhandled error on ${c.req.method} ${c.req.path}:`, err)
    return errorResponse(c, 500, 'INTERNAL_ERROR', 'Something went wrong on our side.')
  })
  return app
}

function tooLarge(c: Context): Response {
  return errorResponse(
    c,
    413,
    'PAYLOAD_TOO_LARGE',
    `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`,
  )
}

function isApi(path: string): boolean {
  return path.startsWith('/api/') || path === '/api'
}

/**
 * Loads the signed-in user from the database on every request, so a rename or a role change shows at once.
 * When the role in the database differs from the one in the session record (an admin changed it), the session
 * is re-issued with `regenerate({ roles })`: a new id for the same user, data, deadlines and device binding, and
 * the old record deleted. A device-bound session gets its new id through its device's next refresh, so a copied
 * cookie jar that makes the first request after the change cannot take it over (docs/dbsc.md).
 * A session whose user no longer exists is ended.
 */
function loadUser(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const current = c.get('session')
    c.set('user', undefined)
    if (current.userId !== null) {
      const user = deps.users.find(current.userId)
      if (!user) {
        await current.logout()
      } else {
        if (current.roles.length !== 1 || current.roles[0] !== user.role) {
          await current.regenerate({ roles: [user.role] })
        }
        c.set('user', user)
      }
    }
    await next()
  }
}
