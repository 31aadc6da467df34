// hallpass/tanstack-start: a request middleware handler that loads, CSRF-checks and commits the session; getSession() in server functions, loaders and server routes.
import '@tanstack/react-start/server-only'
import { serveFetch, type FetchAdapterOptions } from '../adapters/fetch-io.ts'
import { currentSession, enableContext } from '../context/storage.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { HallpassError } from '../errors.ts'
import { checkDoorOptions } from '../pipeline/facts.ts'
import { Pipeline } from '../pipeline/pipeline.ts'
import type { RequestScope } from '../pipeline/scope.ts'
import { reportError } from '../pipeline/report.ts'

/** Options for `tanstackSessions`: those of every adapter (`trustProxy`, `csrf`), and `onError`. */
export type TanstackSessionsOptions = Pick<FetchAdapterOptions, 'trustProxy' | 'csrf' | 'onError'>

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
   * then commits and adds the cookies to the response, a `redirect()` included. It runs the pipeline every
   * front door runs: device-bound sessions, a store outage as a 503, `SESSION_GONE`/`SESSION_CONFLICT` as a
   * 409, another error a server route throws as a bare JSON 500 (reported to `onError`); every error reply
   * carries the cookie of an id the request issued or ended.
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
  enableContext() // getSession() finds the request's session through AsyncLocalStorage
  checkDoorOptions('hallpass/tanstack-start tanstackSessions()', options, [
    'trustProxy',
    'csrf',
    'onError',
  ])
  const pipeline = new Pipeline(sessions, options)
  const onError = options.onError ?? reportError
  return {
    async sessionHandler<R extends NextResult>({ request, next }: SessionHandlerArgs<D, R>) {
      let result: R | undefined
      // Loaders, server functions and server routes run inside; a thrown redirect() is result.response here.
      const handle = async (scope: RequestScope<D>) => {
        result = await next({ context: { session: scope.session } })
        return result.response
      }
      const response = await serveFetch(pipeline, request, undefined, handle, onError)
      if (result === undefined) return response // a reply in place of the app's: DBSC, CSRF, an error before next()
      result.response = response
      return result
    },
    getSession() {
      const session = currentSession()
      if (session === undefined) {
        throw new HallpassError(
          'CONFIG_INVALID',
          'hallpass: getSession() found no session; add createMiddleware().server(sessionHandler) to requestMiddleware in src/start.ts, and call getSession() on the server (server functions, loaders, server routes)',
        )
      }
      return session as Session<D> // the manager's data type: the session came from this manager's pipeline
    },
  }
}
