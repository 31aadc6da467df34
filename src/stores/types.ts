// The Store contract every session backend implements (memory, SQLite, Redis, or your own).
import type { StoreStats } from './stats.ts'

export type { StoreStats } from './stats.ts'

/** Session data: a plain object of JSON values. */
export type SessionData = Record<string, unknown>

/** One session as the store keeps it. It never holds the token, only the public id (a hash of it). */
export interface SessionRecord {
  /** Public id: routing tag + hash of the token. Safe to list and log. */
  readonly id: string
  readonly userId: string | null
  readonly data: SessionData
  /** Epoch ms. */
  readonly createdAt: number
  /** Epoch ms of the last touch (sliding idle timeout). */
  readonly lastSeenAt: number
  /** Epoch ms of the absolute expiry. */
  readonly expiresAt: number
  /** Remember-me: the cookie outlives the browser session. */
  readonly persistent: boolean
  /** Bumped on every change, for compare-and-swap. */
  readonly version: number
  readonly roles?: readonly string[]
  readonly permissions?: readonly string[]
  /** Epoch ms when this id was issued; set in sealed-cookie mode only (revocation by time). Stores need not keep it. */
  readonly issuedAt?: number
  readonly ip?: string
  readonly userAgent?: string
  /** Device binding (DBSC): the public key this session proved at registration. Kept through regenerate. */
  readonly device?: DeviceBinding
  /**
   * The version of the data's shape (`createSessions({ dataVersion })`); absent means 1. Stores that declare
   * `keepsDataVersion` keep it as given (omitting it for 1 is the compact form).
   */
  readonly dataVersion?: number
}

/** A device-bound session's key (W3C DBSC), set once at registration. Stores persist it as given. */
export interface DeviceBinding {
  /** The DBSC session identifier the browser sends back in `Sec-Secure-Session-Id`. */
  readonly id: string
  readonly alg: 'ES256' | 'RS256'
  /** The public key: JWK members only (kty, crv, x, y or n, e). */
  readonly jwk: Readonly<Record<string, string>>
  /** Epoch ms of registration. */
  readonly boundAt: number
  /** Issue time of the last challenge spent; every challenge issued at or before it is refused (single use). */
  readonly usedAt: number
  /** A `regenerate()` waiting for the device: its next refresh issues the new id (docs/dbsc.md). */
  readonly pending?: PendingReissue
}

/** A re-issue of a device-bound session that waits for the device's next refresh. */
export interface PendingReissue {
  /** Epoch ms when it was asked for: bound cookies issued before it are refused, so only the key can go on. */
  readonly at: number
  /** The roles and permissions the new id gets (omitted: unchanged). */
  readonly roles?: readonly string[]
  readonly permissions?: readonly string[]
}

/** A change to one session: only the keys this request touched. */
export interface SessionPatch {
  /** Keys to set, with their new JSON values. */
  readonly set: SessionData
  /** Keys to remove. */
  readonly unset: readonly string[]
  /** New last-seen time (a touch). The store keeps the later of this and the stored one: lastSeenAt never goes back. */
  readonly lastSeenAt?: number
  /**
   * Milliseconds until the store may drop the record: min(idle, absolute) remaining, never past the absolute expiry.
   * The store keeps the later of this and the record's current expiry, atomically with the patch: a commit never
   * shortens a record's life. Two requests of one session can send different views (one loaded before the other's
   * touch); the earlier view must not end the session before the later one's deadline.
   */
  readonly ttl: number
  /** Apply only if the record's version still equals this (compare-and-swap). */
  readonly expectVersion?: number
  /** Replace the device binding (DBSC), or remove it with null; omit to keep it. */
  readonly device?: DeviceBinding | null
  /**
   * The data version `set` and `unset` are written in (stores with `keepsDataVersion`; omit to leave it alone). The
   * store answers 'conflict' and changes nothing when the record's data version (absent: 1) is higher (data a newer
   * deploy wrote is never overwritten in an older shape), or lower without `expectVersion` (only a compare-and-swap
   * of the whole record may upgrade it; see `dataVersionRefused`). A compare-and-swap patch raises it.
   */
  readonly dataVersion?: number
}

/** Outcome of a patch. `missing` means the session is gone and was NOT recreated. */
export type PatchResult = 'ok' | 'missing' | 'conflict'

export interface CreateOptions {
  /** Milliseconds until the store may drop the record. */
  readonly ttl: number
  /** Id of a session this one replaces (login, regenerate): deleted in the same step where the store can. */
  readonly replaces?: string
  /**
   * With `replaces`: instead of leaving nothing, keep a tombstone under the replaced id for this many ms,
   * written in the same step as the delete (`tombstoneFor(replaces, record.lastSeenAt, tombstone)` from
   * `hallpass`). `get` returns it; `patch` answers 'missing' for it and never changes it.
   */
  readonly tombstone?: number
  /** Cap on the user's sessions: over it, the user's least recently used other sessions (last seen, then created) are evicted, never the new one. */
  readonly maxPerUser?: number
}

/** A signed-in session a store dropped to make room, with its user (for the `session.revoked` event). */
export interface EvictedSession {
  readonly id: string
  readonly userId: string
}

/** What `create` reports: the sessions it ended to admit the new one. */
export interface CreateResult {
  /** Ids of the same user's other sessions evicted by `maxPerUser`. */
  readonly evicted: string[]
  /**
   * Signed-in sessions of any user dropped to keep the store within a size bound (the memory store's
   * `maxSessions`). A store without such a bound omits it. Anonymous records and tombstones are never listed.
   */
  readonly displaced?: readonly EvictedSession[]
}

export interface RevokeOptions {
  /** Only these ids (each must belong to the user). Omit for all of the user's sessions. */
  readonly ids?: readonly string[]
  /** Keep this id. */
  readonly except?: string
}

/**
 * The async contract behind `createSessions`. Every store must pass `testStore` from `hallpass/testing`.
 * Connectivity problems must surface as `HallpassError` with code `STORE_UNAVAILABLE`.
 */
export interface Store {
  /** Short name for health checks and logs, e.g. 'memory', 'redis', 'sqlite'. */
  readonly kind: string
  /**
   * True when the store keeps `SessionRecord.dataVersion` and honours `SessionPatch.dataVersion`; `createSessions`
   * refuses a `dataVersion` above 1 with a store that does not.
   */
  readonly keepsDataVersion?: boolean
  /**
   * The record, or null when unknown or expired. One round trip. A record the store cannot decode
   * (bad JSON, wrong types, `__proto__` keys) is deleted by the store and reported as `'corrupt'`.
   */
  get(id: string): Promise<SessionRecord | null | 'corrupt'>
  /**
   * Writes a new record (indexing it under its user) and returns the sessions it ended to make room: ids evicted
   * by `maxPerUser`, and signed-in sessions dropped by a size bound. Admitting an anonymous record
   * (`userId: null`) must never drop a signed-in one: refuse it with STORE_UNAVAILABLE instead.
   */
  create(record: SessionRecord, options: CreateOptions): Promise<CreateResult>
  /**
   * Applies changed keys only; never recreates a missing (or undecodable) record or changes a tombstone, returning
   * 'missing'. Bumps `version`. Never shortens the record's expiry or moves its lastSeenAt back (see `SessionPatch`).
   */
  patch(id: string, patch: SessionPatch): Promise<PatchResult>
  /** Deletes one record and its index entry. True when it existed and had not expired. */
  destroy(id: string): Promise<boolean>
  /** The user's live sessions (undecodable ones are skipped). */
  listByUser(userId: string): Promise<SessionRecord[]>
  /** Deletes the user's sessions (all, or the given ids that belong to them) and returns the ids deleted. */
  revoke(userId: string, options?: RevokeOptions): Promise<string[]>
  /** Resolves when the store answers (for health checks); rejects with STORE_UNAVAILABLE when it does not. */
  ping?(): Promise<void>
  /** Releases timers or connections the store owns. */
  close?(): Promise<void>
  /** Counts of live sessions for `hallpass sessions stats`; `expiring` counts those dropped within `withinMs`. Optional. */
  stats?(withinMs: number): Promise<StoreStats>
}
