// The rule from error to reply, and the replies the pipeline sends in place of the app's: 503, 409, 403, 401, 500.
import { CSRF_REJECTION } from '../csrf/index.ts'
import { configError, isHallpassError } from '../errors.ts'
import type { Guard, GuardOutcome, Principal } from '../guards/access.ts'
import type { Reply } from './scope.ts'

export type { Reply }

/** A JSON reply without cookies: the part of a `Reply` that does not depend on the request. */
export interface ErrorReply {
  readonly status: number
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

const JSON_NO_STORE = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
} as const

/** JSON body and status for a request that failed because the store is down. Carries no internals. */
export const STORE_DOWN = {
  status: 503,
  body: JSON.stringify({
    error: {
      code: 'STORE_UNAVAILABLE',
      message: 'Sessions are temporarily unavailable. Try again shortly.',
    },
  }),
  headers: { ...JSON_NO_STORE, 'retry-after': '1' },
} as const

/** The bare 500 for an error hallpass does not know: no internals (the door reports the error to `onError`). */
export const INTERNAL_ERROR: ErrorReply = {
  status: 500,
  body: JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'Internal Server Error' } }),
  headers: JSON_NO_STORE,
}

const GONE = conflict(
  'SESSION_GONE',
  'Your session ended while this request ran. Sign in again or reload.',
  {},
)
const CONTENDED = conflict(
  'SESSION_CONFLICT',
  'Too many changes to this session at once. Try again.',
  { 'retry-after': '1' },
)

/**
 * The documented reply for an error hallpass raises on purpose and the app let through: `STORE_UNAVAILABLE`
 * 503, `SESSION_GONE` 409 (the session ended or moved while the request ran: sign in or reload),
 * `SESSION_CONFLICT` 409 with `Retry-After: 1` (update() lost every compare-and-swap round). Undefined for other errors.
 */
export function errorReply(err: unknown): ErrorReply | undefined {
  if (isHallpassError(err, 'STORE_UNAVAILABLE')) return STORE_DOWN
  if (isHallpassError(err, 'SESSION_GONE')) return GONE
  if (isHallpassError(err, 'SESSION_CONFLICT')) return CONTENDED
  return undefined
}

function conflict(code: string, message: string, extra: Record<string, string>): ErrorReply {
  return {
    status: 409,
    body: JSON.stringify({ error: { code, message } }),
    headers: { ...JSON_NO_STORE, ...extra },
  }
}

/** True when the error is a store outage (a 503). */
export function isStoreDown(err: unknown): boolean {
  return isHallpassError(err, 'STORE_UNAVAILABLE')
}

/** The 403 for a request that failed the CSRF check, as a `Reply`. */
export const CSRF_REJECTED: Reply = { ...CSRF_REJECTION, cookies: [] }

/** An error reply carrying Set-Cookie values (the cookie of an id the request issued or ended). */
export function withCookies(reply: ErrorReply, cookies: readonly string[]): Reply {
  return { ...reply, cookies }
}

/** The JSON replies for a guard that said no: 401 for anonymous requests, 403 for missing privileges. */
export const DENIED = {
  unauthenticated: {
    status: 401,
    body: { error: { code: 'UNAUTHENTICATED', message: 'Sign in to continue.' } },
  },
  forbidden: {
    status: 403,
    body: { error: { code: 'FORBIDDEN', message: 'You do not have access to this resource.' } },
  },
} as const

/** The session a front door attached, or a CONFIG_INVALID error naming the missing middleware. */
export function attached<S>(session: S | null | undefined, where: string): S {
  if (session === null || session === undefined)
    configError(`guard() found no session: install session() from ${where} before your routes`)
  return session
}

/** Runs a route guard and hands its outcome to `then`, synchronously when the guard is synchronous. */
export function runGuard<T>(
  check: Guard,
  principal: Principal,
  then: (outcome: GuardOutcome) => T,
): T | Promise<T> {
  const outcome = check(principal)
  return outcome instanceof Promise ? outcome.then(then) : then(outcome)
}
