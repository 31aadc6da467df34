// The short form of User-Agent strings: lossless for every string without control characters, strict when decoding.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fullUserAgent, shortUserAgent } from '../../src/stores/user-agent-codec.ts'

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'curl/8.5.0',
  '',
]

describe('user agent short form', () => {
  it('shrinks the common browsers to a fraction and restores them exactly', () => {
    for (const agent of AGENTS) {
      const short = shortUserAgent(agent) as string
      expect(fullUserAgent(short)).toBe(agent)
    }
    const chrome = AGENTS[0] as string
    expect((shortUserAgent(chrome) as string).length).toBeLessThan(16)
    expect((shortUserAgent(AGENTS[2] as string) as string).length).toBeLessThan(40)
  })

  it('round-trips any string without control characters, and declines any string with one', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (agent) => {
        const short = shortUserAgent(agent)
        if (/[\x00-\x1f\x7f]/.test(agent)) expect(short).toBeUndefined()
        else expect(fullUserAgent(short as string)).toBe(agent)
      }),
      { numRuns: 2_000 },
    )
  })

  it('refuses, before expanding, a short form that is or stands for more than the limit', () => {
    const bomb = '\x05'.repeat(14_000_000) // 14 MB of one code would expand to over 500 million characters
    expect(fullUserAgent(bomb, 512)).toBeUndefined()
    expect(fullUserAgent('\x05'.repeat(14), 512)).toBeUndefined() // 14 bytes, 546 characters
    expect(fullUserAgent('\x05'.repeat(13), 512)).toHaveLength(507)
    const chrome = shortUserAgent(AGENTS[0] as string) as string
    expect(fullUserAgent(chrome, 512)).toBe(AGENTS[0])
  })

  it('refuses a short form holding a control character that is no code', () => {
    for (const bad of ['\x00', '\t', '\n', '\r', '\x1f', '\x7f', 'Chrome\x1e1'])
      expect(fullUserAgent(bad)).toBeUndefined()
  })
})
