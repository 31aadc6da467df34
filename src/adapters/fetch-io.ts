// What the fetch-based adapters and integrations (fetch, Hono, Next.js, TanStack Start, SvelteKit, Astro) share: reading a Request, building a Response.
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { readFormToken } from '../csrf/form-token.ts'
import { CSRF_REJECTION, STORE_DOWN } from './replies.ts'
import {
  commitHeaders,
  loadFromFacts,
  type AdapterOptions,
  type CsrfFacts,
  type DbscReply,
  type SessionHeaders,
} from './steps.ts'

/** Options for the fetch adapter (`withSession`, `loadSession`). */
export interface FetchAdapterOptions extends AdapterOptions {
  /** The client's socket address, from the request and the runtime's second fetch argument: `clientIp` from `hallpass/bun` or `hallpass/deno`. @default none */
  getIp?: (request: Request, env?: unknown) => string | undefined
  /** Called with an error the handler threw (the client gets a bare JSON 500). @default console.error */
  onError?: (err: unknown, request: Request) => void
}

/**
 * Loads the session for a fetch `Request`. Throws only STORE_UNAVAILABLE. `env` is the runtime's second
 * fetch argument, handed to `options.getIp`.
 *
 * @example
 * ```ts
 * import { loadSession, applySession } from 'hallpass/fetch'
 * const session = await loadSession(sessions, request)
 * return applySession(session, Response.json({ user: session.userId }))
 * ```
 */
export function loadSession<D extends SessionData>(
  sessions: Sessions<D>,
  request: Request,
  options: FetchAdapterOptions = {},
  env?: unknown,
): Promise<Session<D>> {
  const headers = request.headers
  return loadFromFacts(
    sessions,
    {
      cookie: headers.get('cookie'),
      socketIp: options.getIp?.(request, env),
      forwardedFor: headers.get('x-forwarded-for'),
      userAgent: headers.get('user-agent'),
    },
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
export async function applySession(
  session: Session<SessionData>,
  response: Response,
): Promise<Response> {
  return withSessionHeaders(response, await commitHeaders(session))
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
  if (headers.headers)
    for (const [name, value] of Object.entries(headers.headers)) target.set(name, value)
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

/** What the DBSC step and the CSRF check read from a fetch `Request`. */
export function requestFacts(request: Request): CsrfFacts {
  const url = new URL(request.url)
  return {
    method: request.method,
    path: url.pathname,
    target: url.pathname + url.search,
    encrypted: url.protocol === 'https:',
    host: request.headers.get('host') ?? url.host,
    header: (name) => request.headers.get(name),
  }
}

/**
 * `_csrf` from a urlencoded or multipart form body, for the CSRF check. It reads at most the first 64 KiB,
 * from a clone that is cancelled afterwards, so the handler still reads the whole body and nothing is
 * buffered beyond the bound; a token past it counts as missing (a 403). Your handlers need their own body limit.
 *
 * @example
 * ```ts
 * import { formTokenOf } from 'hallpass/fetch'
 * const verdict = await csrf.forRequest(facts).check(session, () => formTokenOf(request))
 * ```
 */
export function formTokenOf(request: Request): Promise<string | undefined> {
  return readFormToken(request)
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
  return new Response(CSRF_REJECTION.body, {
    status: CSRF_REJECTION.status,
    headers: CSRF_REJECTION.headers,
  })
}
