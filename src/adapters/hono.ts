// Adapter for Hono 4: c.get('session') typed through Variables, commit after next(), guards as route middleware.
import type { Context, MiddlewareHandler } from 'hono'
import { clientIp as nodeClientIp } from '../runtime/node.ts'
import type { Sessions } from '../core/manager.ts'
import { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import type { Guard } from '../guards/access.ts'
import { checkDoorOptions, type AdapterOptions } from '../pipeline/facts.ts'
import { errorHeaders, Pipeline } from '../pipeline/pipeline.ts'
import { attached, DENIED, errorReply, runGuard, withCookies } from '../pipeline/replies.ts'
import type { RequestScope } from '../pipeline/scope.ts'
import {
  clientFacts,
  formTokenOf,
  replyResponse,
  requestFacts,
  withSessionHeaders,
} from './fetch-io.ts'

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
  /** The client's socket address. @default `c.env.incoming.socket.remoteAddress` when served by @hono/node-server; on Bun and Deno, `honoClientIp` from `hallpass/bun` or `hallpass/deno`; on Workers, `honoClientIp({ trustCloudflare })` from `hallpass/workers` */
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
  checkDoorOptions('hallpass/hono session()', options, ['trustProxy', 'csrf', 'getIp'])
  const pipeline = new Pipeline(sessions, options)
  return async (c, next) => {
    let scope: RequestScope<D> | undefined
    try {
      scope = await pipeline.load(clientFacts(c.req.raw, getIp(c)))
      const loaded = scope
      const stop =
        pipeline.checks &&
        (await pipeline.check(loaded, requestFacts(c.req.raw), () => formBodyToken(c)))
      if (stop) return replyResponse(stop)
      c.set('session', loaded.session)
      c.set('csrfToken', pipeline.csrfTokenFunction(loaded))
      await pipeline.run(loaded, next)
      // A hallpass error a handler let through (Hono's onError answered it): the 503 or 409, nothing written.
      if (errorReply(c.error)) throw c.error
      const response = withSessionHeaders(
        c.res,
        pipeline.commitNow(loaded) ?? (await pipeline.commit(loaded)),
      )
      if (response !== c.res) replace(c, response)
    } catch (err) {
      const known = errorReply(err)
      if (!known) throw err
      const { cookies } = await errorHeaders(scope, false)
      return replace(c, replyResponse(withCookies(known, cookies)))
    }
  }
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

/** The session `session()` set on the context (a guard may sit in an app whose Env does not declare it). */
function sessionOf(c: Context): Session<SessionData> | undefined {
  const value: unknown = c.get('session')
  return value instanceof Session ? value : undefined
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
    runGuard(check, attached(sessionOf(c), 'hallpass/hono'), async (outcome) => {
      if (outcome === 'allow') return next()
      const denied = DENIED[outcome]
      return c.json(denied.body, denied.status)
    })
}
