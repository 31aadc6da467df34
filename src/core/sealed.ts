// Sealed-cookie mode: the session lives in an encrypted cookie; optional revocation by a per-user timestamp in any store.
import { createHash } from 'node:crypto'
import { HallpassError } from '../errors.ts'
import { userTag } from '../crypto/token.ts'
import type { Store } from '../stores/types.ts'

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
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'sealed-cookies'
}

/** Id of a user's revocation timestamp record (in the user's routing slot). */
export function revocationId(userId: string): string {
  return `${userTag(userId)}rv${createHash('sha256').update(`hallpass:revoked:${userId}`).digest('base64url').slice(0, 20)}`
}

function unsupported(what: string): never {
  throw new HallpassError('NOT_SUPPORTED', `${what} is not available with sealed cookies: there is no server-side list of sessions`)
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
