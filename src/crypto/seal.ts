// AES-256-GCM sealing with HKDF-derived keys named by their hash: the newest seals, every listed key opens. Never throws on hostile input.
import { createCipheriv, createDecipheriv, randomBytes } from './node-crypto.ts'
import { keyFor, type KeyRing, type PurposeKeys } from './keyring.ts'

const IV_BYTES = 12
const TAG_BYTES = 16
const SEAL_PATTERN = /^(k[A-Za-z0-9_-]{6})\.([A-Za-z0-9_-]+)$/
/** IVs are cut from one pooled random buffer: one CSPRNG call per 512 seals instead of one each. */
const IV_POOL_BYTES = IV_BYTES * 512
let ivPool = Buffer.alloc(0)
let ivOffset = 0

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL_BYTES)
    ivOffset = 0
  }
  ivOffset += IV_BYTES
  return ivPool.subarray(ivOffset - IV_BYTES, ivOffset)
}

/** Longest value `open` will even look at; anything longer is refused before any work. */
export const MAX_SEALED_LENGTH = 4096

/** Seals and opens strings for one purpose ('session', 'cache'...), bound to that purpose. */
export class Sealer {
  private readonly keys: PurposeKeys
  private readonly aad: Buffer

  constructor(ring: KeyRing, purpose: string) {
    this.keys = ring.keys(`seal:${purpose}`)
    this.aad = Buffer.from(`hallpass:seal:${purpose}:v1`)
  }

  /** `<kid>.<base64url(iv | ciphertext | tag)>` */
  seal(plaintext: string): string {
    const kid = this.keys.currentId
    const iv = nextIv()
    const cipher = createCipheriv('aes-256-gcm', this.keys.byId.get(kid) as Buffer, iv)
    cipher.setAAD(this.aad)
    const body = Buffer.concat([
      iv,
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ])
    return `${kid}.${body.toString('base64url')}`
  }

  /** The plaintext, or undefined for anything truncated, padded, re-keyed, tampered with or too long. */
  open(sealed: string): string | undefined {
    if (sealed.length > MAX_SEALED_LENGTH) return undefined
    const match = SEAL_PATTERN.exec(sealed)
    if (!match) return undefined
    const body = Buffer.from(match[2] as string, 'base64url')
    if (body.length < IV_BYTES + TAG_BYTES || body.toString('base64url') !== match[2])
      return undefined
    const key = keyFor(this.keys, match[1] as string)
    if (!key) return undefined
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      })
      decipher.setAAD(this.aad)
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
      return Buffer.concat([
        decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8')
    } catch {
      // forged, altered or truncated
    }
    return undefined
  }

  /** True when `sealed` was sealed with an older key than the newest (re-seal it on the next response). */
  isStale(sealed: string): boolean {
    return !sealed.startsWith(`${this.keys.currentId}.`)
  }

  /** Length of the sealed form of a plaintext of `bytes` UTF-8 bytes. */
  sealedLength(bytes: number): number {
    return this.keys.currentId.length + 1 + Math.ceil(((IV_BYTES + bytes + TAG_BYTES) * 4) / 3)
  }
}
