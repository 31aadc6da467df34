// The one-call HMAC-SHA256 and SHA-256 agree with node:crypto's objects on every key length and message.
import { createHash, createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HmacSha256, sha256 } from '../../src/crypto/mac.ts'

describe('crypto/mac', () => {
  it('HmacSha256 equals createHmac for keys up to two blocks and messages past its reusable buffer', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 130 }),
        fc.array(fc.string({ unit: 'grapheme', maxLength: 120 }), { maxLength: 3 }),
        (key, parts) => {
          const mac = new HmacSha256(Buffer.from(key))
          // The same instance twice in a row: nothing from one message leaks into the next.
          for (const message of [...parts, parts.join('')]) {
            const expected = createHmac('sha256', Buffer.from(key))
              .update(message)
              .digest('base64url')
            expect(mac.base64url(message)).toBe(expected)
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it('sha256 equals createHash', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        expect(sha256(text)).toBe(createHash('sha256').update(text).digest('base64url'))
      }),
    )
  })
})
