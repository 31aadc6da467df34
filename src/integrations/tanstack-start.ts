// hallpass/tanstack-start: a request middleware handler that loads, CSRF-checks and commits the session; getSession() in server functions, loaders and server routes.
import '@tanstack/react-start/server-only'
import {
  csrfRejectedResponse,
  formTokenOf,
  loadSession,
  requestFacts,
  storeDownResponse,
  withSessionHeaders,
} from '../adapters/fetch-io.ts'
import { isStoreDown } from '../adapters/replies.ts'
import { commitHeaders, csrfFor, passesCsrf, type AdapterOptions } from '../adapters/steps.ts'
import { currentSession, enableContext, runWithSession } from '../context/storage.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import { HallpassError } from '../errors.ts'
import type { SessionData } from '../core/types.ts'
import { refuseDeviceBound } from './device-bound.ts'

/** Options for `tanstackSessions`: those of every adapter (`trustProxy`, `csrf`). */
export type TanstackSessionsOptions = AdapterOptions

/** What a request middleware's `next()` resolves to: Start's result, with the response to send. */
interface NextResult {
  response: Response
}

/** The arguments Start passes to a request middleware's `.server()` function (the parts used here). */
export interface SessionHandlerArgs<D extends SessionData, R extends NextResult> {
  readonly request: Request
  readonly next: (options: { context: { session: Session<D> } }) => R | Promise<R>
}

/** The functions an app uses, bound to one manager. */
export interface TanstackSessions<D extends SessionData> {
  /**
   * The function for `createMiddleware().server(...)` in src/start.ts: loads the session, checks CSRF on
   * unsafe methods (403), runs the rest of the request with the session (also as `context.session`),
   * then commits and adds the cookies to the response, a `redirect()` included. A store outage is a 503.
   */
  sessionHandler<R extends NextResult>(args: SessionHandlerArgs<D, R>): Promise<R | Response>
  /**
   * The current request's session, in server functions, loaders, `beforeLoad` and server routes.
   * Throws `CONFIG_INVALID` outside a request that went through the middleware.
   */
  getSession(): Session<D>
}

/**
 * Binds a manager to TanStack Start. Create it in a `*.server.ts` module: Start's import protection then
 * fails the client build when client code imports it (this module is marked server-only as well).
 *
 * @example
 * ```ts
 * // src/lib/session.server.ts
 * import { createSessions } from 'hallpass'
 * import { tanstackSessions } from 'hallpass/tanstack-start'
 * export const sessions = createSessions({ secret: process.env.SESSION_SECRET! })
 * export const { sessionHandler, getSession } = tanstackSessions(sessions)
 *
 * // src/start.ts
 * import { createMiddleware, createStart } from '@tanstack/react-start'
 * import { sessionHandler } from './lib/session.server'
 * const sessionMiddleware = createMiddleware().server(sessionHandler)
 * export const startInstance = createStart(() => ({ requestMiddleware: [sessionMiddleware] }))
 * ```
 */
export function tanstackSessions<D extends SessionData>(
  sessions: Sessions<D>,
  options: TanstackSessionsOptions = {},
): TanstackSessions<D> {
  refuseDeviceBound(sessions, 'hallpass/tanstack-start')
  enableContext() // getSession() finds the request's session through AsyncLocalStorage
  const csrf = csrfFor(sessions, options)
  return {
    async sessionHandler({ request, next }) {
      try {
        const session = await loadSession(sessions, request, options)
        if (
          !(await passesCsrf(csrf, session, requestFacts(request), options, () =>
            formTokenOf(request),
          ))
        )
          return csrfRejectedResponse()
        const result = await runWithSession(session, () => next({ context: { session } }))
        // Loaders, server functions and server routes have run; a thrown redirect() is result.response here.
        result.response = withSessionHeaders(
          result.response,
          await commitHeaders(session as Session<SessionData>),
        )
        return result
      } catch (err) {
        if (isStoreDown(err)) return storeDownResponse()
        throw err
      }
    },
    getSession() {
      const session = currentSession()
      if (session === undefined) {
        throw new HallpassError(
          'CONFIG_INVALID',
          'hallpass: getSession() found no session; add createMiddleware().server(sessionHandler) to requestMiddleware in src/start.ts, and call getSession() on the server (server functions, loaders, server routes)',
        )
      }
      return session as Session<D>
    },
  }
}
