// The fetch translation every fetch-based front door (fetch, Hono, Next.js, TanStack Start, SvelteKit, Astro) shares: Request in, Response out.
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { readFormToken } from '../csrf/form-token.ts'
import type { AdapterOptions, ClientFacts, RequestFacts } from '../pipeline/facts.ts'
import { commitHeaders, idCookies, Pipeline, type SessionHeaders } from '../pipeline/pipeline.ts'
import { CSRF_REJECTED, STORE_DOWN } from '../pipeline/replies.ts'
import { scopeFor, type Reply, type RequestScope } from '../pipeline/scope.ts'

/** Options for the fetch adapter (`withSession`, `loadSession`). */
export interface FetchAdapterOptions extends AdapterOptions {
  /** The client's socket address, from the request and the runtime's second fetch argument: `clientIp` from `hallpass/bun` or `hallpass/deno`, `clientIp({ trustCloudflare })` from `hallpass/workers`. @default none */
  getIp?: (request: Request, env?: unknown) => string | undefined
  /** Called with an error the handler threw (the client gets a bare JSON 500). @default logs the error, the method and the path with console.error, never the headers */
  onError?: (err: unknown, request: Request) => void
}

/** What the load step reads from a fetch `Request`, the socket address coming from the runtime. */
export function clientFacts(request: Request, socketIp: string | undefined): ClientFacts {
  const headers = request.headers
  return {
    cookie: headers.get('cookie'),
    socketIp,
    forwardedFor: headers.get('x-forwarded-for'),
    userAgent: headers.get('user-agent'),
  }
}

/**
 * The whole pipeline over fetch types: load, the checks (the `_csrf` field read from a bounded clone of the body),
 * `handle` with the session as the current one, the commit onto its response; any error becomes the pipeline's
 * error reply (reported to `onError` when hallpass does not know it). `socketIp` is the runtime's client address.
 */
export async function serveFetch<D extends SessionData>(
  pipeline: Pipeline<D>,
  request: Request,
  socketIp: string | undefined,
  handle: (scope: RequestScope<D>, request: Request) => Response | Promise<Response>,
  onError: (err: unknown, request: Request) => void,
  facts: (request: Request) => RequestFacts = requestFacts,
): Promise<Response> {
  let scope: RequestScope<D> | undefined
  try {
    scope = await pipeline.load(clientFacts(request, socketIp))
    const loaded = scope
    if (pipeline.checks) {
      const stop = await pipeline.check(loaded, facts(request), () => formTokenOf(request))
      if (stop) return replyResponse(stop)
    }
    const response = await pipeline.run(loaded, () => handle(loaded, request))
    // A hallpass error an error hook recorded (SvelteKit's handleError): its 503 or 409, nothing written.
    if (loaded.failure)
      return replyResponse({ ...loaded.failure, cookies: idCookies(loaded).cookies })
    return withSessionHeaders(
      response,
      pipeline.commitNow(loaded) ?? (await pipeline.commit(loaded)),
    )
  } catch (err) {
    const failure = await pipeline.fail(scope, err)
    if (!failure.known) onError(err, request)
    return replyResponse(failure.reply)
  }
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
export async function loadSession<D extends SessionData>(
  sessions: Sessions<D>,
  request: Request,
  options: FetchAdapterOptions = {},
  env?: unknown,
): Promise<Session<D>> {
  const pipeline = new Pipeline(sessions, { ...options, csrf: false })
  return (await pipeline.load(clientFacts(request, options.getIp?.(request, env)))).session
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
  return withSessionHeaders(response, await commitHeaders(scopeFor(session)))
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
 * The `Response` for a reply the pipeline sends in place of the app's: a device-bound session (DBSC) endpoint's
 * answer or refusal, a CSRF rejection, an error reply with its cookies.
 *
 * @example
 * ```ts
 * import { dbscResponse } from 'hallpass/fetch'
 * const reply = await sessions.deviceBound?.handle(session, facts)
 * if (reply) return dbscResponse(reply)
 * ```
 */
export function replyResponse(reply: Reply): Response {
  const headers = new Headers(reply.headers)
  for (const cookie of reply.cookies) headers.append('set-cookie', cookie)
  if (reply.cookies.length > 0) headers.set('cache-control', 'no-store')
  return new Response(reply.body, { status: reply.status, headers })
}

/** `replyResponse`, under the name `hallpass/fetch` gives it for DBSC replies. */
export const dbscResponse: (reply: Reply) => Response = replyResponse

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

/**
 * What the DBSC step and the CSRF check read from a fetch `Request`: its URL and Host header, unless the
 * framework resolved the request's own URL (SvelteKit's `event.url`, from its `ORIGIN`).
 */
export function requestFacts(
  request: Request,
  url: URL = new URL(request.url),
  host: string | null = request.headers.get('host') ?? url.host,
): RequestFacts {
  return {
    method: request.method,
    path: url.pathname,
    target: url.pathname + url.search,
    encrypted: url.protocol === 'https:',
    host,
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
  return replyResponse(CSRF_REJECTED)
}
