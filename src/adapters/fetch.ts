// Adapter for any fetch runtime (Request -> Response): the pipeline around a handler, the session's cookies on its response.
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import type { Guard } from '../guards/access.ts'
import { checkDoorOptions } from '../pipeline/facts.ts'
import { Pipeline } from '../pipeline/pipeline.ts'
import { DENIED, runGuard } from '../pipeline/replies.ts'
import type { RequestScope } from '../pipeline/scope.ts'
import { serveFetch, type FetchAdapterOptions } from './fetch-io.ts'
import { reportError } from '../pipeline/report.ts'

export {
  applySession,
  csrfRejectedResponse,
  dbscResponse,
  formTokenOf,
  loadSession,
  requestFacts,
  storeDownResponse,
  withSessionHeaders,
  type FetchAdapterOptions,
} from './fetch-io.ts'

/** A `withSession` handler. */
export type FetchHandler<D extends SessionData = SessionData> = (
  request: Request,
  session: Session<D>,
) => Response | Promise<Response>

/**
 * Wraps a fetch handler with a session and commits it before the response is returned. CSRF is
 * checked first for every method but GET, HEAD and OPTIONS (`csrfToken(session)` from
 * `hallpass/csrf` gives the token for forms). A store outage becomes a 503 with no internals,
 * `SESSION_GONE` and `SESSION_CONFLICT` a 409; other errors a bare JSON 500, reported to `onError`. Every
 * error reply still carries the cookie of an id the request issued or ended (login, regenerate, logout).
 * `getSession()` from `hallpass/context` works inside the handler.
 *
 * @example
 * ```ts
 * import { withSession } from 'hallpass/fetch'
 * export default { fetch: withSession(sessions, async (request, session) => Response.json({ user: session.userId })) }
 * ```
 */
export function withSession<D extends SessionData>(
  sessions: Sessions<D>,
  handler: FetchHandler<D>,
  options: FetchAdapterOptions = {},
): (request: Request, env?: unknown) => Promise<Response> {
  checkDoorOptions('hallpass/fetch withSession()', options, [
    'trustProxy',
    'csrf',
    'onError',
    'getIp',
  ])
  const pipeline = new Pipeline(sessions, options)
  const onError = options.onError ?? reportError
  const handle = (scope: RequestScope<D>, request: Request) => handler(request, scope.session)
  return (request, env) =>
    serveFetch(pipeline, request, options.getIp?.(request, env), handle, onError)
}

/**
 * Wraps a `withSession` handler with a guard from `hallpass/guards`: a JSON 401 when anonymous,
 * 403 when privileges fall short. It guards the handler itself, so no path spelling reaches it unguarded.
 *
 * @example
 * ```ts
 * import { guard } from 'hallpass/fetch'
 * import { requireRole } from 'hallpass/guards'
 * const admin = guard(requireRole('admin'), async () => new Response('admin'))
 * ```
 */
export function guard<D extends SessionData>(
  check: Guard,
  handler: FetchHandler<D>,
): FetchHandler<D> {
  return async (request, session) =>
    runGuard(check, session, (outcome) => {
      if (outcome === 'allow') return handler(request, session)
      const denied = DENIED[outcome]
      return Response.json(denied.body, { status: denied.status })
    })
}
