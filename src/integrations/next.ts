// hallpass/next: sessions in the Next.js App Router — server components, server actions, route handlers and proxy.ts.
import 'server-only'
import { cookies, headers } from 'next/headers.js'
import { cache } from 'react'
import {
  csrfRejectedResponse,
  formTokenOf,
  loadSession,
  requestFacts,
  storeDownResponse,
  withSessionHeaders,
} from '../adapters/fetch-io.ts'
import { DENIED, isStoreDown, runGuard } from '../adapters/replies.ts'
import {
  commitHeaders,
  csrfFor,
  loadFromFacts,
  passesCsrf,
  type AdapterOptions,
} from '../adapters/steps.ts'
import { currentSession, enableContext, runWithSession } from '../context/storage.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import { configError } from '../errors.ts'
import { safeRedirectPath, sameOriginPath } from '../core/redirect.ts'
import type { Guard } from '../guards/access.ts'
import type { SessionData } from '../core/types.ts'
import { commitToJar, type JarCookie } from './cookies.ts'
import { refuseDeviceBound } from './device-bound.ts'
import { serverActionCheck } from './server-actions.ts'

/** Options for `nextSessions`: those of every adapter (`trustProxy`, `csrf`). */
export type NextSessionsOptions = AdapterOptions

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
  refuseDeviceBound(sessions, 'hallpass/next')
  enableContext() // getSession() inside sessionAction/withSession finds their session through AsyncLocalStorage
  const csrf = csrfFor(sessions, options)
  const checkAction = serverActionCheck(csrf, options, sessions.cookie.secure)

  const loadForRender = cache(async (): Promise<Session<D>> => {
    const [head, jar] = await Promise.all([headers(), cookies()])
    const session = await loadFromFacts(
      sessions,
      {
        cookie: head.get('cookie'),
        socketIp: undefined,
        forwardedFor: head.get('x-forwarded-for'),
        userAgent: head.get('user-agent'),
      },
      options,
    )
    // Committed now, so it is read-only from here on; server components cannot set cookies, route handlers and actions can.
    writeJar(jar, await commitToJar(session as Session<SessionData>), true)
    return session
  })

  const withSession =
    <C>(handler: NextRouteHandler<D, C>) =>
    async (request: Request, context: C): Promise<Response> => {
      let session: Session<D> | undefined
      try {
        session = await loadSession(sessions, request, options)
        const loaded = session
        if (
          !(await passesCsrf(csrf, loaded, requestFacts(request), options, () =>
            formTokenOf(request),
          ))
        )
          return csrfRejectedResponse()
        const response = await runWithSession(loaded, () => handler(request, loaded, context))
        const headers = await commitHeaders(loaded as Session<SessionData>)
        session = undefined
        return withSessionHeaders(response, headers)
      } catch (err) {
        if (isStoreDown(err)) return storeDownResponse()
        // redirect() and notFound() throw; Next still sends what was set through cookies().
        if (session)
          writeJar(await cookies(), await commitToJar(session as Session<SessionData>), false)
        throw err
      }
    }

  return {
    getSession: async () => (currentSession() as Session<D> | undefined) ?? loadForRender(),

    sessionAction:
      (fn) =>
      async (...args) => {
        const [head, jar] = await Promise.all([headers(), cookies()])
        const session = await loadFromFacts(
          sessions,
          {
            cookie: head.get('cookie'),
            socketIp: undefined,
            forwardedFor: head.get('x-forwarded-for'),
            userAgent: head.get('user-agent'),
          },
          options,
        )
        await checkAction(session, head) // throws CSRF_REJECTED, and says why in the server log once per reason
        try {
          return await runWithSession(session, () => fn(session, ...args))
        } finally {
          writeJar(jar, await commitToJar(session as Session<SessionData>), false)
        }
      },

    withSession,

    guard: (check, handler) => async (request, session, context) =>
      runGuard(check, session, (outcome) => {
        if (outcome === 'allow') return handler(request, session, context)
        const denied = DENIED[outcome]
        return Response.json(denied.body, { status: denied.status })
      }),

    gate: ({ signIn = '/login', guard } = {}) => {
      const signInPath = sameOriginPath(signIn)
      if (signInPath === undefined) {
        configError(
          `gate({ signIn }) must be a path on this site such as '/login' (got ${JSON.stringify(signIn)})`,
        )
      }
      return async (request) => {
        const head = request.headers
        const client = {
          cookie: head.get('cookie'),
          userAgent: head.get('user-agent') ?? undefined,
        }
        const session = await sessions.load(client)
        const outcome = guard
          ? await guard(session)
          : session.isAuthenticated
            ? 'allow'
            : 'unauthenticated'
        if (outcome === 'allow') return undefined
        if (outcome === 'forbidden')
          return Response.json(DENIED.forbidden.body, { status: DENIED.forbidden.status })
        const url = new URL(request.url)
        const target = new URL(signInPath, url)
        target.searchParams.set('next', safeRedirectPath(url.pathname + url.search))
        return Response.redirect(target, 307)
      }
    },
  }
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
