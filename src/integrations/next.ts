// hallpass/next: sessions in the Next.js App Router — server components, server actions, route handlers and proxy.ts.
import 'server-only'
import { cookies, headers } from 'next/headers.js'
import { cache } from 'react'
import {
  clientFacts,
  formTokenOf,
  replyResponse,
  requestFacts,
  withSessionHeaders,
  type FetchAdapterOptions,
} from '../adapters/fetch-io.ts'
import { currentSession, enableContext } from '../context/storage.ts'
import { sessionControl } from '../core/control.ts'
import type { Sessions } from '../core/manager.ts'
import { sameOriginPath, signInUrl } from '../core/redirect.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { checkOptionKeys, configError } from '../errors.ts'
import type { Guard } from '../guards/access.ts'
import { checkDoorOptions, type ClientFacts, type RequestFacts } from '../pipeline/facts.ts'
import { errorHeaders, Pipeline } from '../pipeline/pipeline.ts'
import { DENIED, errorReply, runGuard } from '../pipeline/replies.ts'
import type { RequestScope } from '../pipeline/scope.ts'
import { toJar, type JarCookie } from './cookies.ts'
import { SERVER_ACTION_PATH, serverActionCheck, type ActionHeaders } from './server-actions.ts'
import { reportError } from '../pipeline/report.ts'

/** Options for `nextSessions`: those of every adapter (`trustProxy`, `csrf`), and `onError` (route handlers). */
export type NextSessionsOptions = Pick<FetchAdapterOptions, 'trustProxy' | 'csrf' | 'onError'>

/** A route handler wrapped by `withSession`: the request, the session, and Next's context (`params`). */
export type NextRouteHandler<D extends SessionData, C> = (
  request: Request,
  session: Session<D>,
  context: C,
) => Response | Promise<Response>

/** What `gate()` checks in proxy.ts. */
export interface GateOptions {
  /**
   * Where anonymous visitors are sent: a path on this site (`CONFIG_INVALID` otherwise, when `gate()` is
   * called). `?next=<path>` is added; read it back with `safeRedirectPath` from `hallpass`. @default '/login'
   */
  signIn?: string
  /** A guard from `hallpass/guards` (e.g. `requireRole('admin')`); a signed-in visitor it refuses gets a 403. @default signed in */
  guard?: Guard
}

/** The functions an app uses, bound to one manager. */
export interface NextSessions<D extends SessionData> {
  /**
   * The request's session, loaded once per request (React `cache`). In server components it is read-only:
   * it is committed when loaded (so a page view slides the idle deadline), and a write afterwards throws
   * `SESSION_COMMITTED`. Inside `sessionAction` and `withSession` it is their writable session.
   */
  getSession(): Promise<Session<D>>
  /**
   * Wraps a server action with a writable session: CSRF is checked, `fn` runs, and the session is committed
   * through `cookies()` even when `fn` ends with `redirect()`. A refused action throws `CSRF_REJECTED` and the
   * server log says why (once per reason). `csrf.exempt` never applies to server actions: Next gives them no path.
   */
  sessionAction<A extends unknown[], R>(
    fn: (session: Session<D>, ...args: A) => Promise<R>,
  ): (...args: A) => Promise<R>
  /** Wraps a route handler: CSRF for unsafe methods, a 503 while the store is down, the session's cookies on the response. */
  withSession<C = unknown>(
    handler: NextRouteHandler<D, C>,
  ): (request: Request, context: C) => Promise<Response>
  /** Wraps a `withSession` handler with a guard: JSON 401 when anonymous, 403 when privileges fall short. */
  guard<C = unknown>(check: Guard, handler: NextRouteHandler<D, C>): NextRouteHandler<D, C>
  /**
   * A proxy.ts gate: redirects anonymous visitors to the sign-in page and answers 403 when `guard` refuses;
   * resolves to undefined (carry on) otherwise. It reads the session without writing anything. Keep the
   * checks in your pages too: the gate is a convenience, not the only lock.
   * @throws CONFIG_INVALID for an option it does not take (`signin`), or one of the wrong type.
   */
  gate(options?: GateOptions): (request: Request) => Promise<Response | undefined>
}

/**
 * Binds a manager to the Next.js App Router. Create it once, in a module only server code imports
 * (this module imports `server-only`, so a client component that reaches it fails the build).
 *
 * @example
 * ```ts
 * // lib/session.ts
 * import { createSessions } from 'hallpass'
 * import { nextSessions } from 'hallpass/next'
 * export const sessions = createSessions({ secret: process.env.SESSION_SECRET! })
 * export const { getSession, sessionAction, withSession, gate } = nextSessions(sessions)
 * ```
 */
export function nextSessions<D extends SessionData>(
  sessions: Sessions<D>,
  options: NextSessionsOptions = {},
): NextSessions<D> {
  enableContext() // getSession() inside sessionAction/withSession finds their session through AsyncLocalStorage
  checkDoorOptions('hallpass/next nextSessions()', options, ['trustProxy', 'csrf', 'onError'])
  const pipeline = new Pipeline(sessions, options)
  const checkAction = serverActionCheck(pipeline, options, sessions.cookie.secure)
  const onError = options.onError ?? reportError

  /** A server component render or a server action: no Response of its own, so its cookies go through `cookies()`. */
  const loadFromHeaders = async (path: string): Promise<RequestScope<D>> => {
    const head = await headers()
    const scope = await pipeline.load(headerFacts(head))
    // The bound-cookie check (no endpoint has such a path): a reply this request cannot send sets the session aside.
    if (await pipeline.deviceStep(scope, actionFacts(head, path, sessions.cookie.secure)))
      sessionControl().setAside(scope.session)
    return scope
  }

  const loadForRender = cache(async (): Promise<Session<D>> => {
    const scope = await loadFromHeaders('(render)')
    // Committed now, so it is read-only from here on; server components cannot set cookies, route handlers and actions can.
    writeJar(await cookies(), toJar(await pipeline.commit(scope)), true)
    return scope.session
  })

  const withSession =
    <C>(handler: NextRouteHandler<D, C>) =>
    async (request: Request, context: C): Promise<Response> => {
      let scope: RequestScope<D> | undefined
      try {
        scope = await pipeline.load(clientFacts(request, undefined))
        const loaded = scope
        const stop =
          pipeline.checks &&
          (await pipeline.check(loaded, requestFacts(request), () => formTokenOf(request)))
        if (stop) return replyResponse(stop)
        const response = await pipeline.run(loaded, () => handler(request, loaded.session, context))
        return withSessionHeaders(
          response,
          pipeline.commitNow(loaded) ?? (await pipeline.commit(loaded)),
        )
      } catch (err) {
        // redirect() and notFound() throw; Next still sends what was set through cookies().
        if (isNextControlFlow(err)) {
          if (scope) writeJar(await cookies(), toJar(await errorHeaders(scope, true)), false)
          throw err
        }
        const failure = await pipeline.fail(scope, err)
        if (!failure.known) onError(err, request)
        return replyResponse(failure.reply)
      }
    }

  return {
    getSession: async () => (currentSession() as Session<D> | undefined) ?? loadForRender(),

    sessionAction:
      (fn) =>
      async (...args) => {
        const scope = await loadFromHeaders(SERVER_ACTION_PATH)
        await checkAction(scope, await headers()) // throws CSRF_REJECTED, and says why in the server log once per reason
        const jar = await cookies()
        let result: Awaited<ReturnType<typeof fn>>
        try {
          result = await pipeline.run(scope, () => fn(scope.session, ...args))
        } catch (err) {
          // The action's error stands (Next answers it); the cookie of an id it issued or ended still goes out.
          writeJar(jar, toJar(await errorHeaders(scope, !errorReply(err))), false)
          throw err
        }
        writeJar(jar, toJar(await pipeline.commit(scope)), false)
        return result
      },

    withSession,

    guard: (check, handler) => async (request, session, context) =>
      runGuard(check, session, (outcome) => {
        if (outcome === 'allow') return handler(request, session, context)
        const denied = DENIED[outcome]
        return Response.json(denied.body, { status: denied.status })
      }),

    gate: (options = {}) => {
      checkOptionKeys('hallpass/next gate()', options, ['signIn', 'guard'])
      const { signIn = '/login', guard } = options
      if (guard !== undefined && typeof guard !== 'function')
        configError(`gate({ guard }) must be a guard from hallpass/guards (got ${typeof guard})`)
      const signInPath = sameOriginPath(signIn)
      if (signInPath === undefined) {
        configError(
          `gate({ signIn }) must be a path on this site such as '/login' (got ${JSON.stringify(signIn)})`,
        )
      }
      return async (request) => {
        let scope: RequestScope<D> | undefined
        try {
          scope = await pipeline.load(clientFacts(request, undefined))
          // Device-bound sessions: the endpoints answer here, a failed bound cookie is sent back, a missing one set aside.
          const dbsc = await pipeline.deviceStep(scope, requestFacts(request))
          if (dbsc) return absoluteLocation(replyResponse(dbsc), request.url)
        } catch (err) {
          // A store outage is the adapters' 503, not Next's bare 500.
          const failure = await pipeline.fail(scope, err)
          if (!failure.known) onError(err, request)
          return replyResponse(failure.reply)
        }
        const session = scope.session
        const outcome = guard
          ? await guard(session)
          : session.isAuthenticated
            ? 'allow'
            : 'unauthenticated'
        if (outcome === 'allow') return undefined
        if (outcome === 'forbidden')
          return Response.json(DENIED.forbidden.body, { status: DENIED.forbidden.status })
        return Response.redirect(signInUrl(signInPath, new URL(request.url)), 307)
      }
    },
  }
}

/**
 * Next's proxy refuses a redirect to a relative URL (a 500 in its place, and the Set-Cookie with it is lost): the
 * DBSC retry's `Location` (a path) made absolute against the request's URL.
 */
function absoluteLocation(response: Response, base: string): Response {
  const location = response.headers.get('location')
  if (location !== null) response.headers.set('location', new URL(location, base).href)
  return response
}

/** What the load step reads from Next's `headers()` (no socket address reaches a server component or action). */
function headerFacts(head: ActionHeaders): ClientFacts {
  return {
    cookie: head.get('cookie'),
    socketIp: undefined,
    forwardedFor: head.get('x-forwarded-for'),
    userAgent: head.get('user-agent'),
  }
}

/** The request facts of a render or an action, which Next gives no path: the DBSC step's bound-cookie check only. */
function actionFacts(head: ActionHeaders, path: string, secure: boolean): RequestFacts {
  return {
    method: 'POST',
    path,
    encrypted: secure,
    host: head.get('host'),
    header: (name) => head.get(name),
  }
}

/** Next's redirect(), notFound() and friends: thrown for Next to answer, never an error of the app's. */
function isNextControlFlow(err: unknown): boolean {
  const digest: unknown =
    typeof err === 'object' && err !== null ? Reflect.get(err, 'digest') : undefined
  return (
    typeof digest === 'string' && /^(NEXT_|DYNAMIC_SERVER_USAGE|BAILOUT_TO_CLIENT)/.test(digest)
  )
}

/** Writes a commit's cookies through Next's cookie store. Server components cannot write: `quiet` ignores that. */
function writeJar(
  jar: Awaited<ReturnType<typeof cookies>>,
  toSet: readonly JarCookie[],
  quiet: boolean,
): void {
  for (const cookie of toSet) {
    try {
      jar.set(cookie.name, cookie.value, cookie.options)
    } catch (err) {
      if (!quiet) throw err
    }
  }
}
