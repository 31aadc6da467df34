// Adapter for Express 5: req.session, commit before the response leaves, guards as route middleware, store outages as 503.
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { Sessions } from '../core/manager.ts'
import { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { isSafeMethod } from '../csrf/policy.ts'
import type { Guard } from '../guards/access.ts'
import { checkDoorOptions, formField, type AdapterOptions } from '../pipeline/facts.ts'
import { commitHeaders, commitHeadersNow, idCookies, Pipeline } from '../pipeline/pipeline.ts'
import { attached, DENIED, errorReply, runGuard, withCookies } from '../pipeline/replies.ts'
import { scopeOf, type RequestScope } from '../pipeline/scope.ts'
import { watchResponse, type HoldPolicy } from './hold.ts'
import { clientFacts, requestFacts, sendErrorReply, sendReply } from './node-io.ts'

/**
 * Register your manager here to type `req.session` with your schema's data.
 *
 * @example
 * ```ts
 * declare module 'hallpass/express' {
 *   interface Register { sessions: typeof sessions }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- empty until the app registers its manager
export interface Register {}

/** The data type of the registered manager, or plain `SessionData` when none is registered. */
export type RegisteredData = Register extends { sessions: Sessions<infer D> } ? D : SessionData

/** What hallpass adds to Express's `Request`. */
export interface SessionRequest {
  /** This request's session (set by `session()`). */
  session: Session<RegisteredData>
  /** The masked CSRF token for forms (`_csrf`) and `x-csrf-token` headers. */
  csrfToken: () => string
}

declare global {
  namespace Express {
    // Added through `extends`, so a program that also loads @types/express-session still compiles.
    interface Request extends SessionRequest {}
  }
}

/** Options for `session()`. */
export interface ExpressSessionOptions extends AdapterOptions {}

/** The session `session()` put on `req`, whatever other packages (express-session) declare `req.session` to be. */
function sessionOf(req: Request): Session<SessionData> | undefined {
  const value: unknown = Reflect.get(req, 'session')
  return value instanceof Session ? value : undefined
}

/**
 * Express middleware that loads the session into `req.session`, checks CSRF for every method but
 * GET, HEAD and OPTIONS (token from `x-csrf-token`, or `_csrf` when a body parser ran first;
 * `req.csrfToken()` gives it), and commits it before the first
 * byte of the response leaves: the response's first `writeHead`/`write`/`end` is held until the
 * commit has finished (see docs/adapters.md). A store outage while loading or committing becomes a
 * JSON 503. `getSession()` from `hallpass/context` works in every later handler.
 *
 * @example
 * ```ts
 * import { session, sessionErrors } from 'hallpass/express'
 * app.use(session(sessions))
 * app.get('/me', (req, res) => res.json({ user: req.session.userId }))
 * app.use(sessionErrors())
 * ```
 */
export function session<D extends SessionData>(
  sessions: Sessions<D>,
  options: ExpressSessionOptions = {},
): RequestHandler {
  checkDoorOptions('hallpass/express session()', options, ['trustProxy', 'csrf'])
  const pipeline = new Pipeline(sessions, options)
  const start = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    let scope: RequestScope<D>
    try {
      scope = await pipeline.load(clientFacts(req))
      const stop =
        pipeline.checks &&
        (await pipeline.check(scope, requestFacts(req), () => formField(req.body)))
      if (stop) return sendReply(res, stop)
    } catch (err) {
      const known = errorReply(err)
      return known ? sendReply(res, withCookies(known, [])) : next(err)
    }
    Reflect.set(req, 'session', scope.session)
    req.csrfToken = pipeline.csrfTokenFunction(scope)
    // The commit: before the response's first byte (hold.ts). A GET, HEAD or OPTIONS, which rarely change the session,
    // is only watched until it does; other methods are held from the start.
    watchResponse(res, COMMIT_BEFORE_SENDING, scope, next, !isSafeMethod(req.method))
    pipeline.run(scope, next)
  }
  return (req, res, next) => void start(req, res, next)
}

/** The gate's ending for every Express response: commit, then the JSON 503/409 or `next(err)` if that fails. */
const COMMIT_BEFORE_SENDING: HoldPolicy<NextFunction> = {
  // After a hallpass error (sessionErrors) the commit sends only the cookie of an id already issued or ended.
  commit: commitHeaders,
  commitNow: commitHeadersNow,
  failed: (err, res, scope, next) => {
    const known = errorReply(err)
    if (!known) return next(err)
    sendErrorReply(res, known, idCookies(scope).cookies)
  },
}

/**
 * Express error middleware, installed after your routes: a `STORE_UNAVAILABLE` thrown by a handler
 * (from `login()`, `update()`...) becomes the JSON 503, `SESSION_GONE` and `SESSION_CONFLICT` a JSON
 * 409, with no session write but the cookie of an id the request issued or ended; other errors go on
 * to your own error handlers.
 *
 * @example
 * ```ts
 * import { sessionErrors } from 'hallpass/express'
 * app.use(sessionErrors())
 * ```
 */
export function sessionErrors(): ErrorRequestHandler {
  return (err, req, res, next) => {
    const known = errorReply(err)
    if (!known) return next(err)
    const session = sessionOf(req)
    const scope = session && scopeOf(session)
    if (scope) scope.failure = withCookies(known, [])
    sendErrorReply(res, known)
  }
}

/**
 * Route middleware from a guard of `hallpass/guards`: a JSON 401 when anonymous, 403 when privileges
 * fall short. Attach it to the route (not to a path prefix), so no spelling of the path skips it.
 *
 * @example
 * ```ts
 * import { guard } from 'hallpass/express'
 * import { requireRole } from 'hallpass/guards'
 * app.get('/admin', guard(requireRole('admin')), (req, res) => res.send('admin'))
 * ```
 */
export function guard(check: Guard): RequestHandler {
  return (req, res, next) => {
    const verdict = runGuard(check, attached(sessionOf(req), 'hallpass/express'), (outcome) => {
      if (outcome === 'allow') return next()
      const denied = DENIED[outcome]
      res.status(denied.status).json(denied.body)
    })
    if (verdict instanceof Promise) verdict.catch(next)
  }
}
