// The Set-Cookie values a commit sends: the session cookie (its value from the mode), the cache snapshot, or clearing ones.
import type { SessionData, SessionRecord } from '../stores/types.ts'
import { clearedCookie, sessionCookie } from './cookies.ts'
import type { Internals } from './internals.ts'
import type { CacheTicket } from './cookie-cache.ts'
import type { SessionState } from './session-state.ts'

/** What a commit sends cookies from: the handle's state and data, and the request's cookie cache ticket. */
export interface CookieInput {
  readonly state: SessionState
  /** This request's data: the live record's data is replaced by it. */
  readonly data: SessionData
  /** The cookie cache's ticket of the request (which writes its copy includes); undefined without a cache. */
  readonly ticket: CacheTicket | undefined
  /**
   * An error's reply (`commit({ write: false })`): only what the store already holds, so the caller passes the
   * record's own data, and an id this request issued or re-issued still reaches the browser.
   */
  readonly afterError: boolean
}

/** The Set-Cookie values for the end of a request. Throws SESSION_TOO_LARGE when a sealed session no longer fits. */
export function responseCookies(
  ctx: Pick<Internals<SessionData>, 'cookie' | 'mode' | 'cache'>,
  input: CookieInput,
  now: number,
): string[] {
  const { state, data, afterError } = input
  const { held, retire } = state
  if (held.kind !== 'live') {
    if (!state.clear) return []
    return [...retire, clearedCookie(ctx.cookie), ...(ctx.cache ? [ctx.cache.clear()] : [])]
  }
  const { record, cookie } = held
  // After an error, a new or re-issued id counts as written: its snapshot goes with it.
  const wrote = held.wrote || (afterError && cookie.kind !== 'keep')
  const value = ctx.mode.cookieValue({ record, data, cookie, wrote, afterError })
  const ticket = wrote || (held.cacheStale && !afterError) ? input.ticket : undefined
  const cache = ticket && ctx.cache
  // A request that changed nothing, the common read, sends nothing and copies nothing.
  if (value === undefined && !cache) return []
  const cookies: string[] = []
  const maxAge = record.persistent ? (record.expiresAt - now) / 1000 : undefined
  // The carried cookie's old name or partition state is cleared first, so a jar keyed by name keeps ours.
  if (value !== undefined) cookies.push(...retire, sessionCookie(ctx.cookie, value, maxAge))
  if (cache) {
    // A snapshot too large for a cookie, or one that misses another request's write, must not leave the
    // previous one to be served after a change: the old one is cleared instead.
    const snapshot: SessionRecord = { ...record, data }
    const cacheCookie = cache.snapshot(snapshot, ticket, wrote, now)
    if (cacheCookie) cookies.push(cacheCookie)
  }
  return cookies
}
