// hallpass/context: the current request's session from anywhere in its async call chain (AsyncLocalStorage).
import type { Session } from '../core/session.ts'
import { HallpassError } from '../errors.ts'
import type { SessionData } from '../core/types.ts'
import { currentSession, enableContext, runWithSession as enter } from './storage.ts'

// Importing this module is what turns the per-request scope on in every adapter.
enableContext()

/**
 * The session of the request being handled. Every hallpass adapter (fetch, node, express, hono,
 * fastify) sets it once the app has imported `hallpass/context` (the import turns the scope on). Outside a request it throws `HallpassError` with code `CONFIG_INVALID`.
 * The type parameter is not checked at run time: pass the data type of the manager you installed.
 *
 * @example
 * ```ts
 * import { getSession } from 'hallpass/context'
 * export async function currentUserId() { return getSession().userId }
 * ```
 */
export function getSession<D extends SessionData = SessionData>(): Session<D> {
  const session = currentSession()
  if (session === undefined) {
    throw new HallpassError(
      'CONFIG_INVALID',
      'hallpass: getSession() was called outside a request; install the session middleware of your adapter (hallpass/express, /hono, /fastify, /fetch or /node) and call it while that request is being handled',
    )
  }
  return session as Session<D> // the caller names its manager's data type (see above)
}

/**
 * The current request's session, or undefined outside a request.
 *
 * @example
 * ```ts
 * import { findSession } from 'hallpass/context'
 * logger.info({ user: findSession()?.userId ?? null }, 'cache miss')
 * ```
 */
export function findSession<D extends SessionData = SessionData>(): Session<D> | undefined {
  return currentSession() as Session<D> | undefined // the caller names its manager's data type
}

/**
 * Runs `fn` with `session` as the current session. Adapters call this for you; use it to build your own integration.
 *
 * @example
 * ```ts
 * import { runWithSession } from 'hallpass/context'
 * const response = await runWithSession(session, () => handle(request))
 * ```
 */
export function runWithSession<T>(session: Session<SessionData>, fn: () => T): T {
  return enter(session, fn)
}
