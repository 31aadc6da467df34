// What the manager shares with each request's Session handle.
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { TokenCodec } from '../crypto/token.ts'
import type { CookieCache } from './cookie-cache.ts'
import type { SessionMode } from './mode.ts'
import type { DeviceBinding, SessionData, SessionRecord, Store } from '../stores/types.ts'
import type { ResolvedCookieOptions } from './cookies.ts'
import type { EventSink } from './events.ts'
import type { DataVersions } from './data-version.ts'

/** @internal */
export interface Internals<D extends SessionData> {
  readonly store: Store
  readonly codec: TokenCodec
  /** Where sessions live (a store, or the cookie itself): every read and write of a record goes through it. */
  readonly mode: SessionMode
  /** Cookie cache for store-backed sessions (its snapshot cookie; `mode` ends cached ids). */
  readonly cache: CookieCache | undefined
  readonly events: EventSink
  readonly schema: StandardSchemaV1<unknown, D> | undefined
  /** The data version this process writes and its upgrades (`dataVersion`, `migrate`). */
  readonly versions: DataVersions
  readonly cookie: ResolvedCookieOptions
  readonly clock: () => number
  readonly absoluteTimeout: number
  readonly rememberMeTimeout: number
  readonly maxSessionsPerUser: number | undefined
  readonly maxDataBytes: number
  /** Idle limit in ms for a normal or a remember-me session. */
  idleFor(persistent: boolean): number
  /**
   * Milliseconds the store should keep the record: min(idle remaining, absolute remaining), at least 1. `lastSeenAt`:
   * the idle clock's start when the caller is about to touch the record (default: the record's own).
   */
  ttlFor(
    record: Pick<SessionRecord, 'lastSeenAt' | 'persistent' | 'expiresAt'>,
    now: number,
    lastSeenAt?: number,
  ): number
  /** Set when `deviceBound` is on: how `regenerate()` re-issues a device-bound session (`handle` is the Session). */
  deviceReissue?: (
    handle: object,
    record: SessionRecord,
    changes: Privileges,
  ) => Promise<ReissuePlan>
}

/** Roles and permissions as `regenerate()` checked them (omitted: unchanged). */
export interface Privileges {
  readonly roles?: string[]
  readonly permissions?: string[]
}

/**
 * How `regenerate()` goes on for a device-bound session: `stage` keeps the id and shows this request the record
 * as it now is (the new id waits for the device's refresh); `device` rotates now, with this binding.
 */
export type ReissuePlan = { readonly stage: SessionRecord } | { readonly device: DeviceBinding }
