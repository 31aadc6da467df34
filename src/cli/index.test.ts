// The CLI prints usable secrets and refuses bad arguments with a usage message.
import { describe, expect, it } from 'vitest'
import { createSessions } from '../index.ts'
import { run } from './index.ts'

function capture(argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = run(argv, (l) => out.push(l), (l) => err.push(l))
  return { code, out, err }
}

describe('hallpass CLI', () => {
  it('secret prints a fresh 256-bit secret that createSessions accepts', () => {
    const a = capture(['secret'])
    const b = capture(['secret'])
    expect(a.code).toBe(0)
    expect(a.out[0]).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.out[0]).not.toBe(b.out[0])
    expect(() => createSessions({ secret: a.out[0]! })).not.toThrow()
  })

  it('refuses a weak size and unknown commands', () => {
    expect(capture(['secret', '--bytes', '8'])).toMatchObject({ code: 2, err: [expect.stringMatching(/--bytes/)] })
    expect(capture(['nope'])).toMatchObject({ code: 2, err: [expect.stringMatching(/unknown command/)] })
  })
})
