// Where sessions live, as one interface: a store (store-mode.ts) or the cookie itself (sealed.ts). The manager and
// the Session handle call it and never ask which one they have.
import type {
  CreateResult,
  SessionData,
  SessionRecord,
  SessionPatch,
  Store,
} from '../stores/types.ts'
import type { Carried, CookieReissue } from './cookie-reissue.ts'
import type { CookieDuty } from './session-state.ts'
import type { RejectReason } from './events.ts'

/** What the request's session cookie gave: a record to check, or why it gives none. */
export type Opened =
  | {
      readonly record: SessionRecord
      /** Read from the store (with the cookie cache on, its snapshot is then re-sent). */
      readonly fromStore: boolean
      /** What the response does about the carried cookie (see `Carried`). */
      readonly carried: Carried
    }
  | {
      readonly rejected: RejectReason
      /** Clear the request's cookie (with what it retires), or leave it alone (`false`). */
      readonly clear: Carried | false
      readonly id?: string
      /** Another request rotated this id a moment ago: writes are dropped and nothing is cleared. */
      readonly rotatedAway?: boolean
    }

/**
 * What a write of a live record found: done, a lost compare-and-swap round, or the session gone: `ended` (destroyed,
 * revoked, expired: the cookie is cleared) or `rotated` away by another request (nothing is cleared or re-sent).
 */
export type WriteResult = 'ok' | 'conflict' | 'ended' | 'rotated'

/** Options for `SessionMode.create`. */
export interface CreateOptions {
  /** Milliseconds the record lives unless touched. */
  readonly ttl: number
  /** The record this one replaces (login, regenerate): it stops working. */
  readonly replaces?: SessionRecord
  readonly maxPerUser?: number
}

/** What the response's session cookie carries, decided by where the record lives. */
export interface CookieValueInput {
  /** The live record, and this request's data (which replaces the record's). */
  readonly record: SessionRecord
  readonly data: SessionData
  /** What the handle holds for the cookie: nothing new, the carried token re-issued, or a new id. */
  readonly cookie: CookieDuty
  /** This request wrote the record. */
  readonly wrote: boolean
  /** The reply is an error's: only what the store already holds may be sent (`CommitOptions.write`). */
  readonly afterError: boolean
}

/** One round of `update()`: from the latest record, the data to keep and the patch that writes it. */
export type UpdateRound = (
  latest: SessionRecord,
) => Promise<{ readonly data: SessionData; readonly patch: SessionPatch }>

/**
 * How `update()` went: `stored` (the record now in the store, and the `previous` one it replaced), `local` (the
 * record travels in the cookie: the handle changes its own copy and the commit writes it), `invalid` (the stored
 * record was out of bounds and is discarded), or the session is gone (`ended`, or `rotated` away by another request).
 */
export type UpdateOutcome =
  | { readonly stored: SessionRecord; readonly previous: SessionRecord }
  | 'local'
  | 'invalid'
  | 'ended'
  | 'rotated'

/** One implementation per place a session can live. Store errors come out as STORE_UNAVAILABLE (fail closed). */
export interface SessionMode {
  /** The store `sessions.store` reports. */
  readonly store: Store
  /** The record the request's cookie names, or why none. `reissue` brings an out-of-date cookie up to date. */
  open(
    lookup: { readonly name: string; readonly value: string },
    cookieHeader: string | null | undefined,
    reissue: CookieReissue,
  ): Promise<Opened>
  /**
   * Throws SESSION_TOO_LARGE when `data` with `key` set to `value` would no longer fit where the record travels. The
   * mode builds that data only if it needs it (a store does not: every `set()` would copy the data for nothing).
   */
  assertFits(record: SessionRecord | null, data: SessionData, key: string, value: unknown): void
  /** Fields a new record carries besides the common ones. */
  stamp(now: number): Partial<SessionRecord>
  /** `update()` on a live record: `round` runs on the latest record, and its patch is written (see `UpdateOutcome`). */
  update(record: SessionRecord, round: UpdateRound): Promise<UpdateOutcome>
  create(record: SessionRecord, options: CreateOptions): Promise<CreateResult>
  /** After `create` replaced `previous` (and this request adopted the new id): the old id stops working. */
  retire(previous: SessionRecord, now: number): Promise<void>
  /** Writes this request's changes (and touch) of `record`; never brings back a session that ended or was rotated. */
  patch(record: SessionRecord, patch: SessionPatch): Promise<WriteResult>
  /** Ends the session (logout, destroy). */
  end(record: SessionRecord, now: number): Promise<void>
  /** Removes a record refused as corrupt or expired; never throws (the store's TTL removes it later). */
  discard(id: string): Promise<void>
  /** The value of the response's session cookie, or undefined when it need not be sent. */
  cookieValue(input: CookieValueInput): string | undefined
  /** Resolves when the backing store answers; rejects with STORE_UNAVAILABLE. */
  ping(): Promise<void>
  listByUser(userId: string): Promise<SessionRecord[]>
  /** Revokes one session by id (undefined: a malformed id, which matches none). */
  revokeOne(userId: string, id: string | undefined): Promise<string[]>
  /** Revokes the user's sessions but `except`; the ids ended (`*` for all), and how many to report. */
  revokeAll(
    userId: string,
    except: string | null | undefined,
  ): Promise<{ readonly ids: readonly string[]; readonly count: number }>
}
