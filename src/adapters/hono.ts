// Adapter for Hono 4: c.get('session') typed through Variables, commit after next(), guards as route middleware.
import type { Context, MiddlewareHandler } from 'hono'
import { runWithSession } from '../context/storage.ts'
import { clientIp as nodeClientIp } from '../runtime/node.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { Guard } from '../guards/access.ts'
import type { SessionData } from '../core/types.ts'
import {
  csrfRejectedResponse,
  dbscResponse,
  formTokenOf,
  loadSession,
  requestFacts,
  storeDownResponse,
  withSessionHeaders,
} from './fetch-io.ts'
import { attached, DENIED, errorReply, isStoreDown, runGuard, type ErrorReply } from './replies.ts'
import {
  commitHeaders,
  csrfTokenFunction,
  deviceBoundStep,
  errorHeaders,
  passesCsrf,
  requestChecks,
  type AdapterOptions,
  type SessionHeaders,
} from './steps.ts'

/**
 * The Hono environment `session()` provides: `c.get('session')` is a `Session<D>`.
 *
 * @example
 * ```ts
 * import type { SessionEnv } from 'hallpass/hono'
 * const app = new Hono<SessionEnv<Data>>()
 * ```
 */
export type SessionEnv<D extends SessionData = SessionData> = {
  Variables: { session: Session<D>; csrfToken: () => string }
}

/** Options for `session()`. */
export interface HonoSessionOptions extends AdapterOptions {
  /** The client's socket address. @default `c.env.incoming.socket.remoteAddress` when served by @hono/node-server; on Bun and Deno, `honoClientIp` from `hallpass/bun` or `hallpass/deno` */
  getIp?: (c: Context) => string | undefined
}

/**
 * Hono middleware that loads the session into `c.get('session')`, runs the rest of the chain and
 * commits before the response is returned, adding Set-Cookie and `Cache-Control: no-store`.
 * A store outage (while loading, in a handler, or at commit) becomes a JSON 503, `SESSION_GONE` and
 * `SESSION_CONFLICT` a JSON 409; every error reply carries the cookie of an id the request issued or ended.
 * `getSession()` from `hallpass/context` works in every later handler.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { session } from 'hallpass/hono'
 * const app = new Hono().use(session(sessions))
 * app.get('/me', (c) => c.json({ user: c.get('session').userId }))
 * ```
 */
export function session<D extends SessionData>(
  sessions: Sessions<D>,
  options: HonoSessionOptions = {},
): MiddlewareHandler<SessionEnv<D>> {
  const getIp = options.getIp ?? ((c: Context) => nodeClientIp(c.req.raw, c.env))
  const checks = requestChecks(sessions, options)
  return async (c, next) => {
    let current: Session<D>
    try {
      current = await loadSession(sessions, c.req.raw, { ...options, getIp: () => getIp(c) })
      if (checks) {
        const facts = requestFacts(c.req.raw)
        const dbsc = await deviceBoundStep(checks.deviceBound, current, facts)
        if (dbsc) return dbscResponse(dbsc)
        if (!(await passesCsrf(checks.csrf, current, facts, options, () => formBodyToken(c))))
          return csrfRejectedResponse()
      }
    } catch (err) {
      if (isStoreDown(err)) return storeDownResponse()
      throw err
    }
    c.set('session', current)
    c.set('csrfToken', csrfTokenFunction(checks, current))
    await runWithSession(current, next)
    const failure = errorReply(c.error)
    if (failure) return replace(c, await errorResponse(failure, current))
    let headers: SessionHeaders
    try {
      headers = await commitHeaders(current as Session<SessionData>)
    } catch (err) {
      const known = errorReply(err)
      if (known) return replace(c, await errorResponse(known, current))
      throw err
    }
    const response = withSessionHeaders(c.res, headers)
    if (response !== c.res) replace(c, response)
  }
}

/** A hallpass error reply (503, 409) carrying the cookie of an id the request issued or ended, and nothing written. */
async function errorResponse(reply: ErrorReply, session: Session<any>): Promise<Response> {
  return withSessionHeaders(
    new Response(reply.body, { status: reply.status, headers: reply.headers }),
    await errorHeaders(session, false),
  )
}

/** Swaps the response without Hono merging the old one's headers into it. */
function replace(c: Context, response: Response): void {
  c.res = undefined
  c.res = response
}

/**
 * `_csrf` from a form body, read within the bound of `formTokenOf` (Hono's handlers still parse the whole body).
 * When a middleware before this one already parsed the form, Hono's cached form is used; nothing is parsed here.
 */
async function formBodyToken(c: Context): Promise<string | undefined> {
  if (!c.req.raw.bodyUsed) return formTokenOf(c.req.raw)
  try {
    // Hono types the cache by its values; it holds their promises.
    const value = (await Promise.resolve(c.req.bodyCache.formData))?.get('_csrf')
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Route middleware from a guard of `hallpass/guards`: a JSON 401 when anonymous, 403 when privileges
 * fall short. Attach it to the route, so no spelling of the path skips it.
 *
 * @example
 * ```ts
 * import { guard } from 'hallpass/hono'
 * import { requireRole } from 'hallpass/guards'
 * app.get('/admin', guard(requireRole('admin')), (c) => c.text('admin'))
 * ```
 */
export function guard(check: Guard): MiddlewareHandler {
  return async (c, next) =>
    runGuard(
      check,
      attached(c.get('session') as Session | undefined, 'hallpass/hono'),
      async (outcome) => {
        if (outcome === 'allow') return next()
        const denied = DENIED[outcome]
        return c.json(denied.body, denied.status)
      },
    )
}
