// What every framework adapter shares: the 503 for store outages and the response headers a session needs.
import { isHallpassError } from '../errors.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../stores/types.ts'

/** JSON body and status for a request that failed because the store is down. Carries no internals. */
export const STORE_DOWN = {
  status: 503,
  body: JSON.stringify({ error: { code: 'STORE_UNAVAILABLE', message: 'Sessions are temporarily unavailable. Try again shortly.' } }),
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '1' },
} as const

/** True when the error should become a 503 rather than propagate. */
export function isStoreDown(err: unknown): boolean {
  return isHallpassError(err, 'STORE_UNAVAILABLE')
}

/** Headers to add after commit: the Set-Cookie values, and `Cache-Control: no-store` when a cookie is set or the user is signed in. */
export function sessionHeaders(session: Session<SessionData>, cookies: readonly string[]): { cookies: readonly string[]; noStore: boolean } {
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

/** Options every adapter accepts. */
export interface AdapterOptions {
  /** Trust `X-Forwarded-For` for the client IP (only behind a proxy you control). @default false */
  trustProxy?: boolean
}
