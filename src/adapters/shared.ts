// What every adapter shares: loading from request facts, the headers a commit yields, the 503 for store outages, guard replies.
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import { configError, isHallpassError } from '../errors.ts'
import type { Guard, GuardOutcome } from '../guards/access.ts'
import type { SessionData } from '../core/types.ts'
import { bindCsrf, createCsrf, csrfCookies, type Csrf, type CsrfOptions } from '../csrf/index.ts'
import { deviceBoundHeaders } from '../dbsc/device-bound.ts'
import type { DbscReply } from '../dbsc/replies.ts'

export type { DbscReply }

/**
 * Device-bound sessions (DBSC), when `deviceBound` is on: answers the registration and refresh endpoints
 * and, with `enforce: 'session'`, refuses a bound session without its bound cookie. Undefined means go on.
 */
export function deviceBoundStep(sessions: Sessions<any>, session: Session<any>, facts: CsrfFacts, cookie: string | null | undefined): Promise<DbscReply | undefined> | undefined {
  return sessions.deviceBound?.handle(session, { method: facts.method, path: facts.path, cookie, header: facts.header })
}

/** Options every adapter accepts. */
export interface AdapterOptions {
  /** Trust `X-Forwarded-For` (client IP) and `X-Forwarded-Proto` (own origin) — only behind a proxy you control. @default false */
  trustProxy?: boolean
  /** CSRF protection for every method but GET, HEAD and OPTIONS (`hallpass/csrf`); `false` turns it off. @default {} (on) */
  csrf?: CsrfOptions | false
}

/** The 403 for a request that failed the CSRF check. */
export { CSRF_REJECTION } from '../csrf/index.ts'

/** What the CSRF check reads from a request. */
export interface CsrfFacts {
  readonly method: string
  /** Raw path, without the query string. */
  readonly path: string
  readonly encrypted: boolean
  readonly host: string | null | undefined
  readonly header: (name: string) => string | null | undefined
}

/** The adapter's CSRF protector, built once (undefined when turned off). */
export function csrfFor(sessions: Sessions<any>, options: AdapterOptions): Csrf | undefined {
  return options.csrf === false ? undefined : createCsrf(sessions as Sessions<SessionData>, options.csrf ?? {})
}

/**
 * Runs the CSRF check for this request and binds its state to the session (so `csrfToken(session)`
 * works and a new pre-session cookie is sent at commit). True when the request may proceed.
 */
export async function passesCsrf(csrf: Csrf | undefined, session: Session<any>, facts: CsrfFacts, options: AdapterOptions, formToken?: () => Promise<string | undefined> | string | undefined): Promise<boolean> {
  if (!csrf) return true
  const trust = options.trustProxy ?? false
  const proto = trust ? facts.header('x-forwarded-proto')?.split(',')[0]?.trim() : undefined
  const scheme = proto === 'https' || proto === 'http' ? proto : facts.encrypted ? 'https' : 'http'
  const guard = csrf.forRequest({
    method: facts.method,
    path: facts.path,
    selfOrigin: `${scheme}://${facts.host ?? ''}`,
    header: facts.header,
    ip: session.ip, // already resolved by the adapter's trustProxy rule when the session was loaded
  })
  bindCsrf(session, guard)
  return (await guard.check(session, formToken)).ok
}

/** The raw path of a request target, without its query string. */
export function rawPath(target: string | undefined): string {
  const url = target ?? '/'
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/** `_csrf` from an already-parsed body object, if there is one. */
export function formField(body: unknown): string | undefined {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)._csrf : undefined
  return typeof value === 'string' ? value : undefined
}

/** JSON body and status for a request that failed because the store is down. Carries no internals. */
export const STORE_DOWN = {
  status: 503,
  body: JSON.stringify({ error: { code: 'STORE_UNAVAILABLE', message: 'Sessions are temporarily unavailable. Try again shortly.' } }),
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '1' },
} as const

/** A JSON reply an adapter sends in place of the app's. */
export interface ErrorReply {
  readonly status: number
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

const JSON_NO_STORE = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } as const

/**
 * The documented reply for an error hallpass raises on purpose and the app let through: `STORE_UNAVAILABLE`
 * 503, `SESSION_GONE` 409 (the session ended or moved while the request ran: sign in or reload),
 * `SESSION_CONFLICT` 409 with `Retry-After: 1` (update() lost every compare-and-swap round). Undefined for other errors.
 */
export function errorReply(err: unknown): ErrorReply | undefined {
  if (isHallpassError(err, 'STORE_UNAVAILABLE')) return STORE_DOWN
  if (isHallpassError(err, 'SESSION_GONE')) return conflict('SESSION_GONE', 'Your session ended while this request ran. Sign in again or reload.', {})
  if (isHallpassError(err, 'SESSION_CONFLICT')) return conflict('SESSION_CONFLICT', 'Too many changes to this session at once. Try again.', { 'retry-after': '1' })
  return undefined
}

function conflict(code: string, message: string, extra: Record<string, string>): ErrorReply {
  return { status: 409, body: JSON.stringify({ error: { code, message } }), headers: { ...JSON_NO_STORE, ...extra } }
}

/**
 * The session headers for an error reply. `write: false` (an `errorReply` error): nothing is written, only the
 * cookie of an id this request issued or ended goes out. Otherwise the changes are committed as usual, falling
 * back to the id cookies when that fails. Never throws: an error never costs the user a session.
 */
export async function closeAfterError(session: Session<any> | undefined, write: boolean): Promise<SessionHeaders> {
  if (!session) return { cookies: [], noStore: true }
  if (write) {
    try {
      return await closeSession(session)
    } catch {
      // fall through to the id cookies only
    }
  }
  try {
    const { cookies } = await (session as Session<SessionData>).commit({ write: false })
    return { cookies, noStore: true }
  } catch {
    return { cookies: [], noStore: true }
  }
}

/** The JSON replies for a guard that said no: 401 for anonymous requests, 403 for missing privileges. */
export const DENIED = {
  unauthenticated: { status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'Sign in to continue.' } } },
  forbidden: { status: 403, body: { error: { code: 'FORBIDDEN', message: 'You do not have access to this resource.' } } },
} as const

/** True when the error should become a 503 rather than propagate. */
export function isStoreDown(err: unknown): boolean {
  return isHallpassError(err, 'STORE_UNAVAILABLE')
}

/** What an adapter reads from the request, whatever its framework. */
export interface RequestFacts {
  readonly cookie: string | null | undefined
  readonly socketIp: string | undefined
  readonly forwardedFor: string | null | undefined
  readonly userAgent: string | null | undefined
}

/** Loads the session for the request. Throws only STORE_UNAVAILABLE. */
export function openSession<D extends SessionData>(sessions: Sessions<D>, facts: RequestFacts, options: AdapterOptions): Promise<Session<D>> {
  const ip = clientIp(facts.socketIp, facts.forwardedFor, options.trustProxy ?? false)
  return sessions.load({ cookie: facts.cookie, ip, userAgent: facts.userAgent ?? undefined })
}

/** The headers a committed session adds: its Set-Cookie values, and whether `Cache-Control: no-store` applies. */
export interface SessionHeaders {
  readonly cookies: readonly string[]
  readonly noStore: boolean
  /** Other response headers (the DBSC registration offer). */
  readonly headers?: Readonly<Record<string, string>>
}

/** Commits the session: no-store when a cookie is set or the user is signed in. */
export async function closeSession(session: Session<SessionData>): Promise<SessionHeaders> {
  const { cookies } = await session.commit()
  const extra = csrfCookies(session)
  const result = sessionHeaders(session, extra.length > 0 ? [...cookies, ...extra] : cookies)
  const headers = deviceBoundHeaders(session)
  return headers ? { ...result, headers } : result
}

/** Headers to add after commit: the Set-Cookie values, and `Cache-Control: no-store` when a cookie is set or the user is signed in. */
export function sessionHeaders(session: Session<SessionData>, cookies: readonly string[]): SessionHeaders {
  return { cookies, noStore: cookies.length > 0 || session.isAuthenticated }
}

/** The client address: the socket's, or with `trustProxy` the last hop recorded in `X-Forwarded-For`. */
export function clientIp(socketAddress: string | undefined, forwardedFor: string | null | undefined, trustProxy: boolean): string | undefined {
  if (trustProxy && forwardedFor) {
    const hops = forwardedFor.split(',')
    const last = hops[hops.length - 1]?.trim()
    if (last && last.length <= 64) return last
  }
  return socketAddress
}

const failures = new WeakMap<Session<any>, ErrorReply>()

/** Records that this request failed with an `errorReply` error: its reply is replaced and nothing is written at commit. */
export function markFailed(session: Session<any> | undefined, reply: ErrorReply): void {
  if (session) failures.set(session, reply)
}

/** The reply `markFailed` recorded for this session, if any. */
export function failureOf(session: Session<any>): ErrorReply | undefined {
  return failures.get(session)
}

/** The session an adapter attached, or a CONFIG_INVALID error naming the missing middleware. */
export function attached<S>(session: S | null | undefined, where: string): S {
  if (session === null || session === undefined) configError(`guard() found no session: install session() from ${where} before your routes`)
  return session
}

/** Runs a guard and hands its outcome to `then`, synchronously when the guard is synchronous. */
export function decide<T>(check: Guard, session: Session<any>, then: (outcome: GuardOutcome) => T): T | Promise<T> {
  const outcome = check(session)
  return outcome instanceof Promise ? outcome.then(then) : then(outcome)
}
