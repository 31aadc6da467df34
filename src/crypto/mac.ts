// HMAC-SHA256 and SHA-256 on the hot path, in one-call `crypto.hash()` steps instead of a node:crypto object per call.
import { hash } from './node-crypto.ts'

/** SHA-256's block size: HMAC pads its key to it. */
const BLOCK = 64
const DIGEST = 32
/** Longest message (UTF-8 bytes) the reusable buffer takes; longer ones get a buffer of their own. */
const SCRATCH = 256

/** SHA-256 of a string (UTF-8), base64url. One native call: no Hash object is built. */
export function sha256(text: string): string {
  return hash('sha256', text, 'base64url')
}

/**
 * HMAC-SHA256 (RFC 2104) under one fixed key: H((K ^ opad) || H((K ^ ipad) || message)), with the padded keys
 * computed once. Two one-call hashes cost less than building an Hmac object (and importing its key) for every
 * request. Synchronous, so the reusable buffers are never shared between two calls in flight.
 *
 * @example
 * ```ts
 * const mac = new HmacSha256(key)
 * mac.base64url('payload') === createHmac('sha256', key).update('payload').digest('base64url')
 * ```
 */
export class HmacSha256 {
  /** K ^ ipad, then room for the message. */
  private readonly inner = Buffer.alloc(BLOCK + SCRATCH)
  /** K ^ opad, then the inner digest. */
  private readonly outer = Buffer.alloc(BLOCK + DIGEST)

  constructor(key: Buffer) {
    const block = key.length > BLOCK ? hash('sha256', key, 'buffer') : key
    for (let i = 0; i < BLOCK; i++) {
      const byte = block[i] ?? 0
      this.inner[i] = byte ^ 0x36
      this.outer[i] = byte ^ 0x5c
    }
  }

  /** The MAC of `message` (UTF-8), base64url. */
  base64url(message: string): string {
    hash('sha256', this.innerInput(message), 'buffer').copy(this.outer, BLOCK)
    return hash('sha256', this.outer, 'base64url')
  }

  private innerInput(message: string): Buffer {
    if (message.length * 3 <= SCRATCH) {
      const length = this.inner.write(message, BLOCK, 'utf8')
      return this.inner.subarray(0, BLOCK + length)
    }
    return Buffer.concat([this.inner.subarray(0, BLOCK), Buffer.from(message, 'utf8')])
  }
}
