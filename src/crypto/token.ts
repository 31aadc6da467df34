// Session tokens: 256 random bits in a MAC'd cookie value; the store only sees a hash of the token.
import { randomBytes, timingSafeEqual } from './node-crypto.ts'
import type { KeyRing, PurposeKeys } from './keyring.ts'
import { HmacSha256, sha256 } from './mac.ts'

/** Characters of the routing tag that groups a user's sessions (one Redis Cluster hash slot). */
export const TAG_LENGTH = 4
const TOKEN_BYTES = 32
const TOKEN_LENGTH = 43 // base64url of 32 bytes
const ID_HASH_LENGTH = 22 // 128 bits of SHA-256(token)
const MAC_LENGTH = 43
/** The shape of a public session id: routing tag + hash, base64url, 26 characters. */
const ID_PATTERN = /^[A-Za-z0-9_-]{26}$/
/** `<kid>.<tag+token>.<attributes>.<mac>`. */
const COOKIE_PATTERN = new RegExp(
  String.raw`^(k[A-Za-z0-9_-]{6})\.([A-Za-z0-9_-]{47})\.([A-Za-z0-9_-]{1,8})\.([A-Za-z0-9_-]{43})$`,
)

/** A freshly issued token: the cookie value (secret) and the public id (store key). */
export interface IssuedToken {
  readonly cookieValue: string
  readonly id: string
}

/** Why a cookie value was refused. */
export type TokenRejection = 'malformed' | 'unknown_key' | 'bad_mac'

/** True for a string shaped like a public session id: the one check for ids from requests, callers and stores. */
export function isSessionId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id)
}

/** Routing tag for a user's sessions: 4 characters of SHA-256 over the user id. */
export function userTag(userId: string): string {
  return sha256(`hallpass:user:${userId}`).slice(0, TAG_LENGTH)
}

/** Public session id: routing tag plus 128 bits of SHA-256(token). Safe to show, log and store. */
function idFor(tag: string, token: string): string {
  return tag + sha256(token).slice(0, ID_HASH_LENGTH)
}

/** What `verify` found in a cookie value that checked out. */
export interface VerifiedToken {
  readonly id: string
  /** The attribute code the value was signed with. */
  readonly attributes: string
  /** The same token signed with the newest key and the current attribute code, when either differs. */
  readonly resigned?: string
}

/**
 * Issues and verifies session cookie values with the key ring's 'cookie' keys. Each value carries, under its MAC,
 * a short code for the attributes it was issued with (opaque here), so a cookie issued under others is re-issued.
 */
export class TokenCodec {
  private readonly keys: PurposeKeys
  /** One MAC per listed key id, padded once (see `HmacSha256`). */
  private readonly macs = new Map<string, HmacSha256>()

  /** `attributes`: the current attribute code, 1 to 8 base64url characters. */
  constructor(
    ring: KeyRing,
    private readonly attributes: string,
  ) {
    this.keys = ring.keys('cookie')
    for (const [id, key] of this.keys.byId) this.macs.set(id, new HmacSha256(key))
  }

  /** A new token for `userId` (or an anonymous one with a random tag). */
  issue(userId: string | null): IssuedToken {
    const random = randomBytes(TOKEN_BYTES + 3).toString('base64url')
    const tag =
      userId === null ? random.slice(TOKEN_LENGTH, TOKEN_LENGTH + TAG_LENGTH) : userTag(userId)
    const token = random.slice(0, TOKEN_LENGTH)
    const body = tag + token
    return { cookieValue: this.sign(body), id: idFor(tag, token) }
  }

  private sign(body: string): string {
    const kid = this.keys.currentId
    const signed = `${body}.${this.attributes}`
    return `${kid}.${signed}.${(this.macs.get(kid) as HmacSha256).base64url(signed)}`
  }

  /**
   * The public id for a cookie value, or why it was refused. Never throws. Constant-time MAC check over the
   * token and the attribute code.
   */
  verify(cookieValue: string): VerifiedToken | { rejected: TokenRejection } {
    const match = cookieValue.length <= 128 ? COOKIE_PATTERN.exec(cookieValue) : null
    if (!match) return { rejected: 'malformed' }
    const [, kid = '', body = '', attributes = '', given = ''] = match
    const mac = this.macs.get(kid)
    if (!mac) return { rejected: 'unknown_key' }
    const signed = `${body}.${attributes}`
    const actual = Buffer.from(given)
    const ok =
      actual.length === MAC_LENGTH && timingSafeEqual(Buffer.from(mac.base64url(signed)), actual)
    if (!ok) return { rejected: 'bad_mac' }
    const id = idFor(body.slice(0, TAG_LENGTH), body.slice(TAG_LENGTH))
    if (kid === this.keys.currentId && attributes === this.attributes) return { id, attributes }
    return { id, attributes, resigned: this.sign(body) }
  }
}
