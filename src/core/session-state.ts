// The session handle's state as one value, and the named transitions between states (pure: no I/O).
import type { IssuedToken } from '../crypto/token.ts'
import type { SessionRecord } from '../stores/types.ts'
import type { Carried } from './cookie-reissue.ts'

/** What the response's session cookie carries for a live session. */
export type CookieDuty =
  /** Nothing new: the browser's cookie is current (sealed mode re-seals it only after a write). */
  | { readonly kind: 'keep' }
  /** The carried cookie, same token, under the current key and attributes (sealed: re-sealed). */
  | { readonly kind: 'reissue'; readonly value: string }
  /** A new id this request issued (login, regenerate, a new session): it reaches the browser even after an error. */
  | { readonly kind: 'issued'; readonly value: string }

/** Which session the request holds. */
export type Held =
  /** No session: a first `set()` issues `token` (so `id` is known early), and the commit stores it. */
  | { readonly kind: 'none'; readonly token?: IssuedToken }
  /** The id was rotated away by another request, or set aside (device-bound): writes are dropped. */
  | { readonly kind: 'rotated' }
  /** A live record, as this request sees it. */
  | {
      readonly kind: 'live'
      readonly record: SessionRecord
      readonly cookie: CookieDuty
      /** The idle clock is due a touch: the commit writes one. */
      readonly touchDue: boolean
      /** This request wrote the record: the sealed cookie or the cache snapshot is re-sent. */
      readonly wrote: boolean
      /** Loaded from the store with the cookie cache on: the commit sends a fresh snapshot. */
      readonly cacheStale: boolean
      /**
       * The data was upgraded on load (`migrate`) from this data version, which the stored record still has: the
       * next write stores the upgrade (data-version.ts).
       */
      readonly upgradeFrom?: number
    }

/** A live session, as a commit writes it. */
export type Live = Extract<Held, { readonly kind: 'live' }>

/** Everything one request's session handle knows besides its data. */
export interface SessionState {
  readonly held: Held
  /** The request arrived with a live session (`isNew` is false). */
  readonly loaded: boolean
  /** The session the request carried ended: its cookie is cleared, unless a live session replaces it. */
  readonly clear: boolean
  /** Clearing values for the carried cookie under a previous name or partition state, sent with ours. */
  readonly retire: readonly string[]
  /** `commit()` started: every mutation throws SESSION_COMMITTED. */
  readonly committed: boolean
}

/** A live session loaded from the request's cookie (`carried`: what its cookie needs, see `Carried`). */
export function loadedState(
  record: SessionRecord,
  load: {
    readonly touchDue: boolean
    readonly cacheStale: boolean
    readonly carried: Carried
    readonly upgradeFrom?: number
  },
): SessionState {
  const { reissue, retire } = load.carried
  const cookie: CookieDuty = reissue === undefined ? KEEP : { kind: 'reissue', value: reissue }
  const { touchDue, cacheStale, upgradeFrom } = load
  // Each object built once: every load with a session runs this.
  const held: Live =
    upgradeFrom === undefined
      ? { kind: 'live', record, cookie, touchDue, wrote: false, cacheStale }
      : { kind: 'live', record, cookie, touchDue, wrote: false, cacheStale, upgradeFrom }
  return { held, loaded: true, clear: false, retire, committed: false }
}

/**
 * No session for this request. `clear`: the carried cookie is cleared (with what it retires), or left alone (`false`);
 * `held` is `rotated` when another request rotated its id a moment ago: writes are then dropped too.
 */
export function anonymousState(
  clear: Carried | false,
  held: 'none' | 'rotated' = 'none',
): SessionState {
  return {
    held: held === 'rotated' ? { kind: 'rotated' } : { kind: 'none' },
    loaded: false,
    clear: clear !== false,
    retire: clear ? clear.retire : NONE,
    committed: false,
  }
}

/** A first `set()` on no session: the id it will be stored under is fixed now. */
export function withToken(state: SessionState, token: IssuedToken): SessionState {
  return state.held.kind === 'none' && !state.held.token
    ? { ...state, held: { kind: 'none', token } }
    : state
}

/** This request issued `record` under a new id (login, regenerate, a new session) and wrote it. */
export function issued(state: SessionState, record: SessionRecord, value: string): SessionState {
  const cookie = { kind: 'issued', value } as const
  const held = { kind: 'live', record, cookie, touchDue: false, wrote: true } as const
  return { ...state, held: { ...held, cacheStale: false } }
}

/**
 * This request wrote its changes (and touch) of the live record: `record` is what the store now holds (an upgrade on
 * load is stored with it).
 */
export function written(state: SessionState, record: SessionRecord): SessionState {
  if (state.held.kind !== 'live') return state
  const { cookie, cacheStale } = state.held // without `upgradeFrom`: the write stored it
  return {
    ...state,
    held: { kind: 'live', record, cookie, touchDue: false, wrote: true, cacheStale },
  }
}

/**
 * The live record as this request now sees it, nothing written (a device-bound regenerate staged on the binding, same
 * id: an upgrade on load is still to be stored).
 */
export function staged(state: SessionState, record: SessionRecord): SessionState {
  return state.held.kind === 'live' ? { ...state, held: { ...state.held, record } } : state
}

/**
 * The session is gone for this request. `ended` (logout, destroy, revoked): its cookie is cleared. `rotated` away by
 * another request (or set aside): nothing is cleared, since the browser holds a newer cookie, and writes are dropped.
 */
export function gone(state: SessionState, how: 'ended' | 'rotated'): SessionState {
  const { held } = state
  if (how === 'rotated') return { ...state, held: { kind: 'rotated' } }
  const issuedHere = held.kind === 'live' && held.cookie.kind === 'issued'
  const clear = state.clear || state.loaded || issuedHere
  return { ...state, held: held.kind === 'rotated' ? held : { kind: 'none' }, clear }
}

/** `commit()` started. */
export function committing(state: SessionState): SessionState {
  return state.committed ? state : { ...state, committed: true }
}

/** The response has the cookies: a second commit sends nothing new. */
export function sent(state: SessionState): SessionState {
  const { held } = state
  const settled =
    held.kind !== 'live' || (held.cookie === KEEP && !held.wrote && !held.cacheStale)
      ? held
      : { ...held, cookie: KEEP, wrote: false, cacheStale: false }
  return { ...state, held: settled, clear: false, retire: NONE }
}

/** The live record, if any. */
export function liveRecord(state: SessionState): SessionRecord | null {
  return state.held.kind === 'live' ? state.held.record : null
}

const KEEP: CookieDuty = { kind: 'keep' }
/** No cookie to retire (shared: `retire` is never mutated). */
const NONE: readonly string[] = Object.freeze([])
