// CSRF synchronizer tokens: bound to a session id or a signed pre-session nonce, masked per response.
import { createHmac, randomBytes, timingSafeEqual } from '../crypto/node-crypto.ts'
import type { KeyRing, PurposeKeys } from '../crypto/keyring.ts'

const RAW_BYTES = 32
const MASKED_LENGTH = 86 // base64url of mask(32) + masked(32)
const NONCE_PATTERN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/

/** Issues and checks masked tokens and the pre-session nonce cookie. */
export class CsrfTokens {
  private readonly tokenKeys: PurposeKeys
  private readonly nonceKeys: PurposeKeys

  constructor(ring: KeyRing) {
    this.tokenKeys = ring.keys('csrf-token')
    this.nonceKeys = ring.keys('csrf-nonce')
  }

  /** A fresh masked token for `binding` ('s:<session id>' or 'p:<nonce>'): different bytes every call. */
  mask(binding: string): string {
    const raw = this.raw(this.tokenKeys.byId.get(this.tokenKeys.currentId) as Buffer, binding)
    const mask = randomBytes(RAW_BYTES)
    const masked = Buffer.allocUnsafe(RAW_BYTES * 2)
    mask.copy(masked, 0)
    for (let i = 0; i < RAW_BYTES; i++)
      masked[RAW_BYTES + i] = (raw[i] as number) ^ (mask[i] as number)
    return masked.toString('base64url')
  }

  /** True when `token` unmasks to the value bound to `binding` under any listed key. Constant-time. */
  verify(token: string, binding: string): boolean {
    if (token.length !== MASKED_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return false
    const bytes = Buffer.from(token, 'base64url')
    if (bytes.length !== RAW_BYTES * 2) return false
    const unmasked = Buffer.allocUnsafe(RAW_BYTES)
    for (let i = 0; i < RAW_BYTES; i++)
      unmasked[i] = (bytes[i] as number) ^ (bytes[RAW_BYTES + i] as number)
    let ok = false
    for (const key of this.tokenKeys.byId.values())
      ok = timingSafeEqual(unmasked, this.raw(key, binding)) || ok
    return ok
  }

  /** A new signed nonce for the pre-session cookie. */
  issueNonce(): { nonce: string; cookieValue: string } {
    const nonce = randomBytes(16).toString('base64url')
    return {
      nonce,
      cookieValue: `${nonce}.${this.sign(this.nonceKeys.byId.get(this.nonceKeys.currentId) as Buffer, nonce)}`,
    }
  }

  /** The nonce from a pre-session cookie value, or undefined when it is malformed or forged. */
  readNonce(cookieValue: string | undefined): string | undefined {
    const match = cookieValue ? NONCE_PATTERN.exec(cookieValue) : null
    if (!match) return undefined
    const [, nonce = '', mac = ''] = match
    for (const key of this.nonceKeys.byId.values()) {
      if (timingSafeEqual(Buffer.from(this.sign(key, nonce)), Buffer.from(mac))) return nonce
    }
    return undefined
  }

  private raw(key: Buffer, binding: string): Buffer {
    return createHmac('sha256', key).update(binding).digest()
  }

  private sign(key: Buffer, nonce: string): string {
    return createHmac('sha256', key).update(nonce).digest('base64url')
  }
}
