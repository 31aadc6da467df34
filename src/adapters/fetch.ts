// Adapter for any fetch runtime (Request -> Response): load, run the handler, commit, copy cookies onto the response.
import { runWithSession } from '../context/storage.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { Guard } from '../guards/access.ts'
import type { SessionData } from '../core/types.ts'
import { closeAfterError, closeSession, CSRF_REJECTION, csrfFor, decide, DENIED, deviceBoundStep, errorReply, openSession, passesCsrf, STORE_DOWN, type AdapterOptions, type CsrfFacts, type DbscReply, type SessionHeaders } from './shared.ts'

export interface FetchAdapterOptions extends AdapterOptions {
  /** The socket address of the client, if your runtime exposes it (e.g. Deno's `info.remoteAddr`). @default none */
  getIp?: (request: Request) => string | undefined
  /** Called with an error the handler threw (the client gets a bare JSON 500). @default console.error */
  onError?: (err: unknown, request: Request) => void
}

const INTERNAL_ERROR = JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'Internal Server Error' } })

/** A `withSession` handler. */
export type FetchHandler<D extends SessionData = SessionData> = (request: Request, session: Session<D>) => Response | Promise<Response>

/**
 * Loads the session for a fetch `Request`. Throws only STORE_UNAVAILABLE.
 *
 * @example
 * ```ts
 * import { loadSession, applySession } from 'hallpass/fetch'
 * const session = await loadSession(sessions, request)
 * return applySession(session, Response.json({ user: session.userId }))
 * ```
 */
export function loadSession<D extends SessionData>(sessions: Sessions<D>, request: Request, options: FetchAdapterOptions = {}): Promise<Session<D>> {
  const headers = request.headers
  return openSession(
    sessions,
    { cookie: headers.get('cookie'), socketIp: options.getIp?.(request), forwardedFor: headers.get('x-forwarded-for'), userAgent: headers.get('user-agent') },
    options,
  )
}

/**
 * Commits the session and returns the response with its Set-Cookie and Cache-Control headers.
 *
 * @example
 * ```ts
 * import { applySession } from 'hallpass/fetch'
 * return applySession(session, new Response('ok'))
 * ```
 */
export async function applySession(session: Session<SessionData>, response: Response): Promise<Response> {
  return withSessionHeaders(response, await closeSession(session))
}

/**
 * Adds a commit's headers to a response, in place when its headers are mutable and on a copy when
 * not (a `fetch()` result). Set-Cookie is appended; `no-store` wins over the app's Cache-Control.
 *
 * @example
 * ```ts
 * import { withSessionHeaders } from 'hallpass/fetch'
 * return withSessionHeaders(response, { cookies, noStore: true })
 * ```
 */
export function withSessionHeaders(response: Response, headers: SessionHeaders): Response {
  if (headers.cookies.length === 0 && !headers.noStore && !headers.headers) return response
  try {
    addHeaders(response.headers, headers)
    return response
  } catch {
    const copy = new Response(response.body, response)
    addHeaders(copy.headers, headers)
    return copy
  }
}

function addHeaders(target: Headers, headers: SessionHeaders): void {
  for (const cookie of headers.cookies) target.append('set-cookie', cookie)
  if (headers.noStore) target.set('cache-control', 'no-store')
  for (const [name, value] of Object.entries(headers.headers ?? {})) target.set(name, value)
}

/**
 * The response for a device-bound session (DBSC) reply: an endpoint's answer or a refusal.
 *
 * @example
 * ```ts
 * import { dbscResponse } from 'hallpass/fetch'
 * const reply = await sessions.deviceBound?.handle(session, facts)
 * if (reply) return dbscResponse(reply)
 * ```
 */
export function dbscResponse(reply: DbscReply): Response {
  const headers = new Headers(reply.headers)
  for (const cookie of reply.cookies) headers.append('set-cookie', cookie)
  return new Response(reply.body, { status: reply.status, headers })
}

/**
 * The 503 for a store outage, with no internals.
 *
 * @example
 * ```ts
 * import { storeDownResponse } from 'hallpass/fetch'
 * if (isHallpassError(err, 'STORE_UNAVAILABLE')) return storeDownResponse()
 * ```
 */
export function storeDownResponse(): Response {
  return new Response(STORE_DOWN.body, { status: STORE_DOWN.status, headers: STORE_DOWN.headers })
}

/** What the CSRF check needs from a fetch `Request`. */
export function requestFacts(request: Request): CsrfFacts {
  const url = new URL(request.url)
  return { method: request.method, path: url.pathname, encrypted: url.protocol === 'https:', host: request.headers.get('host') ?? url.host, header: (name) => request.headers.get(name) }
}

/** `_csrf` from a form body, read from a clone so the handler can still read the body. */
export async function formTokenOf(request: Request): Promise<string | undefined> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return undefined
  try {
    const value = (await request.clone().formData()).get('_csrf')
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * The 403 for a request that failed the CSRF check (`CSRF_REJECTED`).
 *
 * @example
 * ```ts
 * import { csrfRejectedResponse } from 'hallpass/fetch'
 * return csrfRejectedResponse()
 * ```
 */
export function csrfRejectedResponse(): Response {
  return new Response(CSRF_REJECTION.body, { status: CSRF_REJECTION.status, headers: CSRF_REJECTION.headers })
}

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
): (request: Request) => Promise<Response> {
  const csrf = csrfFor(sessions, options)
  return async (request) => {
    let session: Session<D> | undefined
    try {
      session = await loadSession(sessions, request, options)
      const current = session
      const facts = requestFacts(request)
      const dbsc = await deviceBoundStep(sessions, current, facts, request.headers.get('cookie'))
      if (dbsc) return dbscResponse(dbsc)
      if (!(await passesCsrf(csrf, current, facts, options, () => formTokenOf(request)))) return csrfRejectedResponse()
      const response = await runWithSession(current, () => handler(request, current))
      return await applySession(session as Session<SessionData>, response)
    } catch (err) {
      const known = errorReply(err)
      if (!known) (options.onError ?? console.error)(err, request)
      const reply = known ?? { status: 500, body: INTERNAL_ERROR, headers: { 'content-type': 'application/json; charset=utf-8' } }
      return withSessionHeaders(new Response(reply.body, { status: reply.status, headers: reply.headers }), await closeAfterError(session, known === undefined))
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
export function guard<D extends SessionData>(check: Guard, handler: FetchHandler<D>): FetchHandler<D> {
  return async (request, session) =>
    decide(check, session, (outcome) => {
      if (outcome === 'allow') return handler(request, session)
      const denied = DENIED[outcome]
      return Response.json(denied.body, { status: denied.status })
    })
}
