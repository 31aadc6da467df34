// Sealed-cookie mode, all of it: the session lives in an encrypted cookie, and `SealedMode` is everything the manager
// and the Session handle do differently from store mode (each call site is a one-line `ctx.sealed` branch).
import { HallpassError } from '../errors.ts'
import type { Sealer } from '../crypto/seal.ts'
import { userTag } from '../crypto/token.ts'
import { sha256 } from '../crypto/mac.ts'
import type { SessionData, SessionRecord, Store } from '../stores/types.ts'
import { MAX_COOKIE_BYTES } from './cookies.ts'
import { decodeRecordJson, encodeRecordJson } from './record-codec.ts'
import type { SealedRevocation } from './sealed-revocation.ts'

/** Options for `sealedCookies()`. */
export interface SealedCookiesOptions {
  /**
   * A store that keeps one small "revoked before" timestamp per user, so `revokeUserSessions`
   * works (each signed-in request then costs one store read). @default none: sealed sessions cannot be revoked early
   */
  revocation?: Store
}

/** Marker passed as `store` to `createSessions` to keep sessions in the cookie. */
export interface SealedCookies {
  readonly kind: 'sealed-cookies'
  readonly revocation: Store | undefined
}

/**
 * Stateless sessions: data, user and deadlines sealed with AES-256-GCM in the cookie itself.
 *
 * @example
 * ```ts
 * import { createSessions } from 'hallpass'
 * import { sealedCookies } from 'hallpass/sealed'
 * const sessions = createSessions({ secret, store: sealedCookies({ revocation: redisStore({ client }) }) })
 * ```
 */
export function sealedCookies(options: SealedCookiesOptions = {}): SealedCookies {
  return { kind: 'sealed-cookies', revocation: options.revocation }
}

export function isSealedCookies(value: unknown): value is SealedCookies {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'sealed-cookies'
  )
}

/** Id of a user's revocation timestamp record (in the user's routing slot). */
export function revocationId(userId: string): string {
  return `${userTag(userId)}rv${sha256(`hallpass:revoked:${userId}`).slice(0, 20)}`
}

function unsupported(what: string, why = ': there is no server-side list of sessions'): never {
  throw new HallpassError('NOT_SUPPORTED', `${what} is not available with sealed cookies${why}`)
}

/** Stand-in store for sealed mode: writes are no-ops because the cookie carries the record. */
export const SEALED_STORE: Store = {
  kind: 'sealed',
  get: async () => null,
  create: async () => ({ evicted: [] }),
  patch: async () => 'ok',
  destroy: async () => true,
  listByUser: async () => unsupported('listSessions'),
  revoke: async () => unsupported('revokeSession'),
}

/** The attribute code sealed in front of the record's JSON: none (before codes) or 1 to 8 base64url characters. */
const ATTRIBUTES = /^[A-Za-z0-9_-]{0,8}$/

/** A record as small as any, for measuring an anonymous session's cookie. */
const PROBE: SessionRecord = {
  id: 'x'.repeat(26),
  userId: null,
  data: {},
  createdAt: 0,
  lastSeenAt: 0,
  expiresAt: 0,
  persistent: false,
  version: 1,
  issuedAt: 0,
}

/**
 * What sealed mode does differently from store mode. The manager holds one (`config.sealed`, shared with every
 * Session as `ctx.sealed`); in store mode there is none. The differences, and where they are used:
 * - load: the cookie is opened here (`open`) instead of verified and looked up; no store read,
 *   except the revocation marker (`revocationCheck`) when a revocation store is configured.
 * - `set()`: refused when the cookie would outgrow the browser's limit (`assertFits`).
 * - `update()`: runs on the request's copy (there is no stored record to compare-and-swap).
 * - login/regenerate: no tombstone (there is no store record to leave one in); the old id is `ended`.
 * - logout/destroy: the id is `ended` in the revocation store, when there is one.
 * - new records carry `issuedAt`, the time revocation compares with.
 * - commit: a write re-seals the whole record into the cookie (`cookieValue`); a cookie sealed under an
 *   older key or other cookie attributes is re-sealed on the next response.
 * - `listSessions` and `revokeSession` are NOT_SUPPORTED; `revokeUserSessions` marks "revoked before now".
 * - health check: pings the revocation store, if any.
 */
export class SealedMode {
  constructor(
    private readonly sealer: Sealer,
    /** The per-user revocation marker, when `sealedCookies({ revocation })` named a store. */
    readonly revocation: SealedRevocation | undefined,
    /** The current cookie attribute code, sealed in front of the record (see `attributesCode`). */
    private readonly attributes: string,
  ) {}

  /** The store `ping()` checks: the revocation store, if any. */
  get pingStore(): Store | undefined {
    return this.revocation?.store
  }

  /**
   * The record a sealed cookie holds and the attribute code sealed with it (undefined for a cookie from before
   * codes), or undefined when it does not open (forged, altered, unknown key, malformed). `stale`: sealed under an
   * older key or other attributes, so the next response re-seals it.
   */
  open(
    cookieValue: string,
  ): { record: SessionRecord; attributes: string | undefined; stale: boolean } | undefined {
    const text = this.sealer.open(cookieValue)
    const start = text?.indexOf('{') ?? -1
    if (text === undefined || start < 0 || start > 8 || !ATTRIBUTES.test(text.slice(0, start)))
      return undefined
    const record = decodeRecordJson(text.slice(start))
    const attributes = start === 0 ? undefined : text.slice(0, start)
    return (
      record && {
        record,
        attributes,
        stale: this.sealer.isStale(cookieValue) || attributes !== this.attributes,
      }
    )
  }

  /**
   * Whether the revocation store refuses this record (revoked before it was issued, or logged out), or
   * undefined when there is nothing to ask (anonymous, or no revocation store): no store read then.
   */
  revocationCheck(record: SessionRecord): Promise<boolean> | undefined {
    return record.userId !== null && this.revocation
      ? this.revocation.isRevoked(record as SessionRecord & { userId: string })
      : undefined
  }

  /** Would a cookie holding `record` with `data` stay within the browser's limit (with room for timestamps)? */
  fits(cookieName: string, record: SessionRecord | null, data: SessionData): boolean {
    const bytes =
      this.attributes.length + Buffer.byteLength(encodeRecordJson({ ...(record ?? PROBE), data }))
    return cookieName.length + 1 + this.sealer.sealedLength(bytes) + 100 <= MAX_COOKIE_BYTES
  }

  /** For `set(key)`: throws SESSION_TOO_LARGE when the cookie would no longer fit. */
  assertFits(
    cookieName: string,
    record: SessionRecord | null,
    data: SessionData,
    key: string,
  ): void {
    if (!this.fits(cookieName, record, data)) {
      throw new HallpassError(
        'SESSION_TOO_LARGE',
        `setting "${key}" would make the sealed cookie exceed ${MAX_COOKIE_BYTES} bytes; keep large data in a store`,
      )
    }
  }

  /** The session cookie's value after a write: the whole record, sealed. Throws SESSION_TOO_LARGE when it no longer fits. */
  cookieValue(cookieName: string, record: SessionRecord): string {
    if (!this.fits(cookieName, record, record.data))
      throw new HallpassError(
        'SESSION_TOO_LARGE',
        `the sealed session exceeds ${MAX_COOKIE_BYTES} bytes`,
      )
    return this.sealer.seal(this.attributes + encodeRecordJson(record))
  }

  /** An id that stopped being valid (logout, destroy, login, regenerate) is remembered as ended, when there is a revocation store. */
  async ended(record: SessionRecord): Promise<void> {
    if (this.revocation && record.userId !== null)
      await this.revocation.end(record.userId, record.id, record.expiresAt)
  }

  /** `revokeUserSessions` in sealed mode: every sealed cookie of the user issued before now is refused. */
  async revokeAll(userId: string, except: string | null | undefined): Promise<void> {
    if (!this.revocation)
      unsupported('revokeUserSessions without sealedCookies({ revocation })', '')
    if (except)
      unsupported(
        'revokeUserSessions({ except }); revoke all, then call session.regenerate() to keep the current device,',
        '',
      )
    await this.revocation.revokeAll(userId)
  }

  /** `listSessions` and `revokeSession` need a list of sessions that sealed mode does not keep. */
  unsupported(what: string): never {
    unsupported(what, '')
  }
}
