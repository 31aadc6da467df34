// The replies an adapter sends in place of the app's, framework-neutral: 503 for store outages, 409s, guard refusals.
import type { Session } from '../core/session.ts'
import { configError, isHallpassError } from '../errors.ts'
import type { Guard, GuardOutcome } from '../guards/access.ts'

/** The 403 for a request that failed the CSRF check. */
export { CSRF_REJECTION } from '../csrf/index.ts'

/** JSON body and status for a request that failed because the store is down. Carries no internals. */
export const STORE_DOWN = {
  status: 503,
  body: JSON.stringify({
    error: {
      code: 'STORE_UNAVAILABLE',
      message: 'Sessions are temporarily unavailable. Try again shortly.',
    },
  }),
  headers: {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'retry-after': '1',
  },
} as const

/** A JSON reply an adapter sends in place of the app's. */
export interface ErrorReply {
  readonly status: number
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

const JSON_NO_STORE = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
} as const

/**
 * The documented reply for an error hallpass raises on purpose and the app let through: `STORE_UNAVAILABLE`
 * 503, `SESSION_GONE` 409 (the session ended or moved while the request ran: sign in or reload),
 * `SESSION_CONFLICT` 409 with `Retry-After: 1` (update() lost every compare-and-swap round). Undefined for other errors.
 */
export function errorReply(err: unknown): ErrorReply | undefined {
  if (isHallpassError(err, 'STORE_UNAVAILABLE')) return STORE_DOWN
  if (isHallpassError(err, 'SESSION_GONE'))
    return conflict(
      'SESSION_GONE',
      'Your session ended while this request ran. Sign in again or reload.',
      {},
    )
  if (isHallpassError(err, 'SESSION_CONFLICT'))
    return conflict('SESSION_CONFLICT', 'Too many changes to this session at once. Try again.', {
      'retry-after': '1',
    })
  return undefined
}

function conflict(code: string, message: string, extra: Record<string, string>): ErrorReply {
  return {
    status: 409,
    body: JSON.stringify({ error: { code, message } }),
    headers: { ...JSON_NO_STORE, ...extra },
  }
}

/** True when the error should become a 503 rather than propagate. */
export function isStoreDown(err: unknown): boolean {
  return isHallpassError(err, 'STORE_UNAVAILABLE')
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

/** The session an adapter attached, or a CONFIG_INVALID error naming the missing middleware. */
export function attached<S>(session: S | null | undefined, where: string): S {
  if (session === null || session === undefined)
    configError(`guard() found no session: install session() from ${where} before your routes`)
  return session
}

/** Runs a route guard and hands its outcome to `then`, synchronously when the guard is synchronous. */
export function runGuard<T>(
  check: Guard,
  session: Session<any>,
  then: (outcome: GuardOutcome) => T,
): T | Promise<T> {
  const outcome = check(session)
  return outcome instanceof Promise ? outcome.then(then) : then(outcome)
}
