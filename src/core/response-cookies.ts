// The Set-Cookie values a commit sends: the session cookie (its value from the mode), the cache snapshot, or clearing ones.
import type { SessionData, SessionRecord } from '../stores/types.ts'
import { clearedCookie, sessionCookie } from './cookies.ts'
import type { Internals } from './internals.ts'
import type { CacheTicket } from './cookie-cache.ts'

/** What the handle knows at the end of a commit. */
export interface CookieState {
  /** The live record after the commit, or null when the session ended or never existed. */
  readonly record: SessionRecord | null
  readonly data: SessionData
  /** Something was written or a new id issued: a sealed cookie or a cache snapshot must be re-sent (or cleared). */
  readonly wrote: boolean
  /** The new token's cookie value, when an id was issued. */
  readonly issuedCookie: string | undefined
  /** The carried cookie brought up to the current key and attributes (same token), when it was out of date. */
  readonly reissue: string | undefined
  /** Loaded from the store with the cookie cache on: send a fresh snapshot. */
  readonly cacheStale: boolean
  /** The cookie cache's ticket of the request (which writes its copy includes); undefined without a cache. */
  readonly cacheTicket: CacheTicket | undefined
  /** The request carried a session that is now gone: clear the cookie(s). */
  readonly clearCookie: boolean
  /**
   * Clearing values for the cookie the request carried under a previous name or another partition state, sent
   * (first, so a cookie jar keyed by name keeps ours) with every session cookie or clearing cookie of this response.
   */
  readonly retire: readonly string[]
}

/** The Set-Cookie values for the end of a request. Throws SESSION_TOO_LARGE when a sealed session no longer fits. */
export function responseCookies(
  ctx: Pick<Internals<SessionData>, 'cookie' | 'mode' | 'cache'>,
  state: CookieState,
  now: number,
): string[] {
  const { record } = state
  if (!record) {
    if (!state.clearCookie) return []
    return [...state.retire, clearedCookie(ctx.cookie), ...(ctx.cache ? [ctx.cache.clear()] : [])]
  }
  const value = ctx.mode.cookieValue({
    record,
    data: state.data,
    issuedCookie: state.issuedCookie,
    reissue: state.reissue,
    wrote: state.wrote,
  })
  const ticket = state.wrote || state.cacheStale ? state.cacheTicket : undefined
  const cache = ticket && ctx.cache
  // A request that changed nothing, the common read, sends nothing and copies nothing.
  if (value === undefined && !cache) return []
  const cookies: string[] = []
  const maxAge = record.persistent ? (record.expiresAt - now) / 1000 : undefined
  if (value !== undefined) cookies.push(...state.retire, sessionCookie(ctx.cookie, value, maxAge))
  if (cache) {
    // A snapshot too large for a cookie, or one that misses another request's write, must not leave the
    // previous one to be served after a change: the old one is cleared instead.
    const snapshot: SessionRecord = { ...record, data: state.data }
    const cacheCookie = cache.snapshot(snapshot, ticket, state.wrote, now)
    if (cacheCookie) cookies.push(cacheCookie)
  }
  return cookies
}
