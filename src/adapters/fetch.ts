// Adapter for any fetch runtime (Request -> Response): load, run the handler, commit, copy cookies onto the response.
import { runWithSession } from '../context/storage.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { Guard } from '../guards/access.ts'
import type { SessionData } from '../core/types.ts'
import {
  applySession,
  csrfRejectedResponse,
  dbscResponse,
  formTokenOf,
  loadSession,
  requestFacts,
  withSessionHeaders,
  type FetchAdapterOptions,
} from './fetch-io.ts'
import { DENIED, errorReply, runGuard } from './replies.ts'
import { deviceBoundStep, errorHeaders, passesCsrf, requestChecks } from './steps.ts'

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

const INTERNAL_ERROR = JSON.stringify({
  error: { code: 'INTERNAL_ERROR', message: 'Internal Server Error' },
})

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
  const checks = requestChecks(sessions, options)
  return async (request, env) => {
    let session: Session<D> | undefined
    try {
      session = await loadSession(sessions, request, options, env)
      const current = session
      if (checks) {
        const facts = requestFacts(request)
        const dbsc = await deviceBoundStep(checks.deviceBound, current, facts)
        if (dbsc) return dbscResponse(dbsc)
        if (!(await passesCsrf(checks.csrf, current, facts, options, () => formTokenOf(request))))
          return csrfRejectedResponse()
      }
      const response = await runWithSession(current, () => handler(request, current))
      return await applySession(session as Session<SessionData>, response)
    } catch (err) {
      const known = errorReply(err)
      if (!known) (options.onError ?? console.error)(err, request)
      const reply = known ?? {
        status: 500,
        body: INTERNAL_ERROR,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      }
      return withSessionHeaders(
        new Response(reply.body, { status: reply.status, headers: reply.headers }),
        await errorHeaders(session, known === undefined),
      )
    }
  }
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
