// The request's steps, framework-neutral, in the order every adapter calls them: load, DBSC, CSRF, (handler), commit.
import { sessionControl } from '../core/control.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { bindCsrf, createCsrf, csrfCookies, csrfToken } from '../csrf/index.ts'
import type { Csrf, CsrfOptions, CsrfVerdict } from '../csrf/index.ts'
import { deviceBoundAfterCommit, type DeviceBoundServer } from '../dbsc/device-bound.ts'
import type { DbscReply } from '../dbsc/replies.ts'

export type { DbscReply }

/** Options every adapter accepts. */
export interface AdapterOptions {
  /** Trust `X-Forwarded-For` (client IP) and `X-Forwarded-Proto` (own origin) — only behind a proxy you control. @default false */
  trustProxy?: boolean
  /** CSRF protection for every method but GET, HEAD and OPTIONS (`hallpass/csrf`); `false` turns it off. @default {} (on) */
  csrf?: CsrfOptions | false
}

// 1. Load

/** What an adapter reads from the request to load its session, whatever its framework. */
export interface RequestFacts {
  readonly cookie: string | null | undefined
  readonly socketIp: string | undefined
  readonly forwardedFor: string | null | undefined
  readonly userAgent: string | null | undefined
}

/** Loads the session for the request. Throws only STORE_UNAVAILABLE. */
export function loadFromFacts<D extends SessionData>(
  sessions: Sessions<D>,
  facts: RequestFacts,
  options: AdapterOptions,
): Promise<Session<D>> {
  const ip = clientIp(facts.socketIp, facts.forwardedFor, options.trustProxy ?? false)
  return sessions.load({ cookie: facts.cookie, ip, userAgent: facts.userAgent ?? undefined })
}

/** The client address: the socket's, or with `trustProxy` the last hop recorded in `X-Forwarded-For`. */
export function clientIp(
  socketAddress: string | undefined,
  forwardedFor: string | null | undefined,
  trustProxy: boolean,
): string | undefined {
  if (trustProxy && forwardedFor) {
    const hops = forwardedFor.split(',')
    const last = hops[hops.length - 1]?.trim()
    if (last && last.length <= 64) return last
  }
  return socketAddress
}

// 2 and 3. The checks that read the request before the handler: DBSC, then CSRF

/**
 * The checks between load and handler, built once per adapter. `requestChecks` gives undefined when
 * both are off: the adapter then reads no check facts and awaits nothing between load and handler.
 */
export interface RequestChecks {
  /** The DBSC server, when `createSessions({ deviceBound })` is on. */
  readonly deviceBound: DeviceBoundServer | undefined
  /** The adapter's CSRF protector, unless `csrf: false`. */
  readonly csrf: Csrf | undefined
}

/** The adapter's checks (undefined when DBSC and CSRF are both off). */
export function requestChecks(
  sessions: Sessions<any>,
  options: AdapterOptions,
): RequestChecks | undefined {
  const deviceBound = sessions.deviceBound
  const csrf = csrfFor(sessions, options)
  return deviceBound || csrf ? { deviceBound, csrf } : undefined
}

/** The adapter's CSRF protector, built once (undefined when turned off). */
export function csrfFor(sessions: Sessions<any>, options: AdapterOptions): Csrf | undefined {
  return options.csrf === false
    ? undefined
    : createCsrf(sessions as Sessions<SessionData>, options.csrf ?? {})
}

/** What the DBSC step and the CSRF check read from a request. */
export interface CsrfFacts {
  readonly method: string
  /** Raw path, without the query string. */
  readonly path: string
  /** The raw request target (path and query), where DBSC sends a request again after its bound cookie failed. */
  readonly target?: string | undefined
  readonly encrypted: boolean
  readonly host: string | null | undefined
  readonly header: (name: string) => string | null | undefined
}

/**
 * Device-bound sessions (DBSC), when `deviceBound` is on: answers the registration and refresh endpoints
 * and, with `enforce: 'session'`, refuses a bound session without its bound cookie. Undefined means go on.
 */
export function deviceBoundStep(
  deviceBound: DeviceBoundServer | undefined,
  session: Session<any>,
  facts: CsrfFacts,
): Promise<DbscReply | undefined> | undefined {
  const { method, path, target, header } = facts
  return deviceBound?.handle(session, { method, path, target, cookie: header('cookie'), header })
}

/**
 * Runs the CSRF check for this request and binds its state to the session (so `csrfToken(session)`
 * works and a new pre-session cookie is sent at commit). True when the request may proceed.
 */
export async function passesCsrf(
  csrf: Csrf | undefined,
  session: Session<any>,
  facts: CsrfFacts,
  options: AdapterOptions,
  formToken?: () => Promise<string | undefined> | string | undefined,
): Promise<boolean> {
  return !csrf || (await csrfVerdict(csrf, session, facts, options, formToken)).ok
}

/** `passesCsrf` with the reason of a refusal (for callers that explain it, as Next's server actions do). */
export async function csrfVerdict(
  csrf: Csrf,
  session: Session<any>,
  facts: CsrfFacts,
  options: AdapterOptions,
  formToken?: () => Promise<string | undefined> | string | undefined,
): Promise<CsrfVerdict> {
  const state = csrf.forRequest({
    method: facts.method,
    path: facts.path,
    selfOrigin: selfOrigin(facts, options),
    header: facts.header,
    ip: session.ip, // already resolved by the adapter's trustProxy rule when the session was loaded
  })
  bindCsrf(session, state)
  return state.check(session, formToken)
}

/** The origin the request addressed: its Host, and its scheme (or `X-Forwarded-Proto` with `trustProxy`). */
export function selfOrigin(facts: CsrfFacts, options: AdapterOptions): string {
  const proto = options.trustProxy
    ? facts.header('x-forwarded-proto')?.split(',')[0]?.trim()
    : undefined
  const scheme = proto === 'https' || proto === 'http' ? proto : facts.encrypted ? 'https' : 'http'
  return `${scheme}://${facts.host ?? ''}`
}

/**
 * The request's `csrfToken()` (Express's `req.csrfToken`, Fastify's `request.csrfToken`). With `csrf: false`
 * it is one shared function: no CSRF state is bound to any session then, so it throws `csrfToken()`'s CONFIG_INVALID.
 */
export function csrfTokenFunction(
  checks: RequestChecks | undefined,
  session: Session<any>,
): () => string {
  return checks?.csrf ? () => csrfToken(session) : csrfTokenWithoutCsrf
}

const NO_CSRF_STATE = {} as Session<SessionData>
function csrfTokenWithoutCsrf(): string {
  return csrfToken(NO_CSRF_STATE)
}

/** The raw path of a request target, without its query string. */
export function rawPath(target: string | undefined): string {
  const url = target ?? '/'
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/** `_csrf` from an already-parsed body object, if there is one. */
export function formField(body: unknown): string | undefined {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)._csrf : undefined
  return typeof value === 'string' ? value : undefined
}

// 4. Commit

/** The headers a committed session adds: its Set-Cookie values, and whether `Cache-Control: no-store` applies. */
export interface SessionHeaders {
  readonly cookies: readonly string[]
  readonly noStore: boolean
  /** Other response headers (the DBSC registration offer). */
  readonly headers?: Readonly<Record<string, string>>
}

/** Commits the session and gives the headers to add: no-store when a cookie is set or the user is signed in. */
export async function commitHeaders(session: Session<SessionData>): Promise<SessionHeaders> {
  return headersAfterCommit(session, (await session.commit()).cookies)
}

/**
 * `commitHeaders` now, without awaiting, when the commit has nothing to write (a request that changed
 * nothing, the common read); undefined when it must write: call `commitHeaders` then.
 */
export function commitHeadersNow(session: Session<SessionData>): SessionHeaders | undefined {
  const committed = sessionControl().commitWithoutWrite(session)
  return committed && headersAfterCommit(session, committed.cookies)
}

function headersAfterCommit(
  session: Session<SessionData>,
  cookies: readonly string[],
): SessionHeaders {
  const extra = csrfCookies(session)
  const dbsc = deviceBoundAfterCommit(session)
  const all =
    extra.length > 0 || dbsc?.cookies ? [...cookies, ...extra, ...(dbsc?.cookies ?? [])] : cookies
  const result = sessionHeaders(session, all)
  return dbsc?.headers ? { ...result, headers: dbsc.headers } : result
}

/** Headers to add after commit: the Set-Cookie values, and `Cache-Control: no-store` when a cookie is set or the user is signed in. */
export function sessionHeaders(
  session: Session<SessionData>,
  cookies: readonly string[],
): SessionHeaders {
  return { cookies, noStore: cookies.length > 0 || session.isAuthenticated }
}

/**
 * The session headers for an error reply. `write: false` (an `errorReply` error): nothing is written, only the
 * cookie of an id this request issued or ended goes out. Otherwise the changes are committed as usual, falling
 * back to the id cookies when that fails. Never throws: an error never costs the user a session.
 */
export async function errorHeaders(
  session: Session<any> | undefined,
  write: boolean,
): Promise<SessionHeaders> {
  if (!session) return { cookies: [], noStore: true }
  if (write) {
    try {
      return await commitHeaders(session)
    } catch {
      // fall through to the id cookies only
    }
  }
  return errorHeadersNow(session)
}

/** `errorHeaders(session, false)` without awaiting: only the cookie of an id this request issued or ended. Never throws. */
export function errorHeadersNow(session: Session<any>): SessionHeaders {
  try {
    return {
      cookies: sessionControl().commitAfterError(session as Session<SessionData>).cookies,
      noStore: true,
    }
  } catch {
    return { cookies: [], noStore: true }
  }
}
