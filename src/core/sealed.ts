// Sealed-cookie mode, all of it: the session lives in an encrypted cookie; `SealedMode` is its `SessionMode`.
import { HallpassError } from '../errors.ts'
import type { Sealer } from '../crypto/seal.ts'
import { failClosed } from '../fail-closed.ts'
import type { CreateResult, SessionData, SessionRecord, Store } from '../stores/types.ts'
import type { CookieReissue } from './cookie-reissue.ts'
import { MAX_COOKIE_BYTES } from './cookies.ts'
import type { CookieValueInput, Opened, SessionMode, WriteResult } from './mode.ts'
import { decodeRecordJson, encodeRecordJson } from './record-codec.ts'
import type { SealedRevocation, Standing } from './sealed-revocation.ts'

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

function unsupported(what: string, why = ': there is no server-side list of sessions'): never {
  throw new HallpassError('NOT_SUPPORTED', `${what} is not available with sealed cookies${why}`)
}

/** What `sessions.store` reports in sealed mode: it holds nothing (the cookie carries the record). Never written. */
const SEALED_STORE: Store = {
  kind: 'sealed',
  get: async () => null,
  create: async () => ({ evicted: [] }),
  patch: async () => 'ok',
  destroy: async () => true,
  listByUser: async () => unsupported('listSessions'),
  revoke: async () => unsupported('revokeSession'),
}

/** The attribute code sealed in front of the record's JSON: 1 to 8 base64url characters. */
const ATTRIBUTES = /^[A-Za-z0-9_-]{1,8}$/

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
 * Sealed-cookie mode (`SessionMode`): the record is sealed into the session cookie.
 * - load: the cookie is opened (`open`) instead of verified and looked up; no store read, except the revocation
 *   marker when a revocation store is configured.
 * - `set()`: refused when the cookie would outgrow the browser's limit (`assertFits`).
 * - `update()`: runs on the request's copy (`local`: nothing to compare-and-swap; the commit re-seals).
 * - login/regenerate/logout/destroy: the old id is remembered as ended in the revocation store, when there is one;
 *   a rotated id is also a tombstone for a short grace, so a request that raced the rotation clears nothing.
 * - commit: with a revocation store, a write first checks the record still stands (`patch`).
 * - new records carry `issuedAt`, the time revocation compares with.
 * - commit: a write re-seals the whole record into the cookie (`cookieValue`); a cookie sealed under an
 *   older key or other cookie attributes is re-sealed on the next response.
 * - `listSessions` and `revokeSession` are NOT_SUPPORTED; `revokeUserSessions` marks "revoked before now".
 * - health check: pings the revocation store, if any.
 */
export class SealedMode implements SessionMode {
  readonly store = SEALED_STORE

  constructor(
    private readonly sealer: Sealer,
    /** The per-user revocation marker, when `sealedCookies({ revocation })` named a store. */
    private readonly revocation: SealedRevocation | undefined,
    /** The current cookie attribute code, sealed in front of the record (see `attributesCode`). */
    private readonly attributes: string,
    private readonly cookieName: string,
  ) {}

  async open(
    lookup: { readonly name: string; readonly value: string },
    _cookieHeader: string | null | undefined,
    reissue: CookieReissue,
  ): Promise<Opened> {
    const { value, name } = lookup
    const opened = this.unseal(value)
    if (!opened) return { rejected: 'bad_seal', clear: reissue.refused(name) }
    const { record } = opened
    const carried = reissue.checked(
      name,
      value,
      opened.attributes,
      opened.stale ? value : undefined,
    )
    const standing = await this.standing(record, 'load')
    if (standing === 'rotated')
      return { rejected: 'rotated', clear: false, id: record.id, rotatedAway: true }
    if (standing === 'revoked') return { rejected: 'revoked', clear: carried, id: record.id }
    return { record, fromStore: false, carried }
  }

  /**
   * The record a sealed cookie holds and the attribute code sealed with it, or undefined when it does not open
   * (forged, altered, unknown key, malformed, no attribute code). `stale`: sealed under an
   * older key or other attributes, so the next response re-seals it.
   */
  private unseal(
    cookieValue: string,
  ): { record: SessionRecord; attributes: string; stale: boolean } | undefined {
    const text = this.sealer.open(cookieValue)
    const start = text?.indexOf('{') ?? -1
    if (text === undefined || start < 1 || start > 8 || !ATTRIBUTES.test(text.slice(0, start)))
      return undefined
    const record = decodeRecordJson(text.slice(start))
    const attributes = text.slice(0, start)
    return (
      record && {
        record,
        attributes,
        stale: this.sealer.isStale(cookieValue) || attributes !== this.attributes,
      }
    )
  }

  /** Would a cookie holding `record` with `data` stay within the browser's limit (with room for timestamps)? */
  private fits(record: SessionRecord | null, data: SessionData): boolean {
    const bytes =
      this.attributes.length + Buffer.byteLength(encodeRecordJson({ ...(record ?? PROBE), data }))
    return this.cookieName.length + 1 + this.sealer.sealedLength(bytes) + 100 <= MAX_COOKIE_BYTES
  }

  /** For `set(key)`: throws SESSION_TOO_LARGE when the cookie would no longer fit. */
  assertFits(record: SessionRecord | null, data: SessionData, key: string, value: unknown): void {
    if (!this.fits(record, { ...data, [key]: value })) {
      throw new HallpassError(
        'SESSION_TOO_LARGE',
        `setting "${key}" would make the sealed cookie exceed ${MAX_COOKIE_BYTES} bytes; keep large data in a store`,
      )
    }
  }

  stamp(now: number): Partial<SessionRecord> {
    return { issuedAt: now }
  }

  async update(): Promise<'local'> {
    return 'local' // the request's copy is the only one: the commit re-seals it
  }

  async create(): Promise<CreateResult> {
    return { evicted: [] } // the commit seals the record into the cookie
  }

  /** The old id becomes a tombstone for the grace period and (signed in) is refused for good, with a revocation store. */
  async retire(previous: SessionRecord, now: number): Promise<void> {
    if (this.revocation) await failClosed(this.revocation.rotated(previous, now))
  }

  /**
   * The commit re-seals the record. With a revocation store it first checks that the record still stands, so a
   * request that raced a login, regenerate or logout never re-sends the old cookie over the browser's newer one.
   */
  async patch(record: SessionRecord): Promise<WriteResult> {
    const standing = await this.standing(record, 'write')
    return standing === 'live' ? 'ok' : standing === 'revoked' ? 'ended' : 'rotated'
  }

  async end(record: SessionRecord): Promise<void> {
    await this.ended(record)
  }

  async discard(): Promise<void> {
    // Nothing is stored: the refused cookie is simply not accepted.
  }

  /**
   * A write, a new id, or a cookie sealed under an older key or attributes re-seals the whole record. After an error
   * only a new id is sealed (its record as issued): the request's other changes were never written.
   */
  cookieValue(input: CookieValueInput): string | undefined {
    const { kind } = input.cookie
    if (kind !== 'issued' && (input.afterError || (!input.wrote && kind === 'keep')))
      return undefined
    const snapshot: SessionRecord = { ...input.record, data: input.data }
    if (!this.fits(snapshot, snapshot.data))
      throw new HallpassError(
        'SESSION_TOO_LARGE',
        `the sealed session exceeds ${MAX_COOKIE_BYTES} bytes`,
      )
    return this.sealer.seal(this.attributes + encodeRecordJson(snapshot))
  }

  /** Pings the revocation store, if any. */
  async ping(): Promise<void> {
    const store = this.revocation?.store
    if (store)
      await failClosed<unknown>(
        store.ping ? store.ping() : store.get('healthcheck-probe-000000000'),
      )
  }

  async listByUser(): Promise<never> {
    unsupported('listSessions', '')
  }

  async revokeOne(): Promise<never> {
    unsupported('revokeSession (one sealed session by id)', '')
  }

  /** Every sealed cookie of the user issued before now is refused (`*`); nothing is counted. */
  async revokeAll(userId: string, except: string | null | undefined) {
    if (!this.revocation)
      unsupported('revokeUserSessions without sealedCookies({ revocation })', '')
    if (except)
      unsupported(
        'revokeUserSessions({ except }); revoke all, then call session.regenerate() to keep the current device,',
        '',
      )
    await failClosed(this.revocation.revokeAll(userId))
    return { ids: ['*'], count: 0 }
  }

  /** Live without a revocation store; see `SealedRevocation.standing`. */
  private async standing(record: SessionRecord, at: 'load' | 'write'): Promise<Standing> {
    return this.revocation ? failClosed(this.revocation.standing(record, at)) : 'live'
  }

  /** An id that stopped being valid (logout, destroy) is remembered as ended, when there is a revocation store. */
  private async ended(record: SessionRecord): Promise<void> {
    if (this.revocation && record.userId !== null)
      await failClosed(this.revocation.end(record.userId, record.id, record.expiresAt))
  }
}
