// jsonBytesBound: the one-pass check in front of jsonProblem and the load-time size check. It may only say yes
// for values a JSON round trip keeps, and its bound must never be below what JSON.stringify writes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jsonBytesBound, jsonProblem, MAX_DATA_DEPTH } from '../../src/json.ts'

const hostile = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
  maxDepth: 6,
})

function hasNegativeZero(value: unknown): boolean {
  let found = false
  JSON.stringify(value, (_key, v: unknown) => {
    if (Object.is(v, -0)) found = true
    return v
  })
  return found
}

describe('jsonBytesBound', () => {
  it('says yes only for values a JSON round trip keeps, with a bound at or above the bytes JSON.stringify writes', () => {
    fc.assert(
      fc.property(hostile, (value) => {
        const bound = jsonBytesBound(value)
        if (bound < 0) return
        const text = JSON.stringify(value)
        fc.pre(!hasNegativeZero(value)) // -0 comes back as 0, which hallpass accepts like JSON does
        expect(JSON.parse(text)).toEqual(value) // null-prototype objects are plain JSON to hallpass too
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(bound)
      }),
      { numRuns: 3_000 },
    )
  })

  it('says yes for every JSON value, and agrees with jsonProblem', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        // -0 (JSON writes 0) and the forbidden keys are the JSON values hallpass refuses
        fc.pre(
          !Object.is(value, -0) && !/__proto__|constructor|prototype/.test(JSON.stringify(value)),
        )
        expect(jsonBytesBound(value)).toBeGreaterThanOrEqual(
          Buffer.byteLength(JSON.stringify(value)),
        )
        expect(jsonProblem(value, 'v')).toBeUndefined()
      }),
      { numRuns: 2_000 },
    )
  })

  it('bounds the worst cases: control characters, long numbers, deep nesting and cycles', () => {
    const numbers = [
      -1.2345678901234567e-308,
      Number.MIN_VALUE,
      -0.0000010064270531770172,
      // eslint-disable-next-line no-loss-of-precision -- the long literal is the case under test
      -1.2345678901234567e21,
    ]
    for (const value of ['\x00\x1f', 'é€😀', ...numbers, { ['\x01'.repeat(5)]: ['é😀'] }]) {
      expect(jsonBytesBound(value)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(value)))
    }
    let deep: unknown = 1
    for (let i = 0; i < MAX_DATA_DEPTH; i++) deep = [deep]
    expect(jsonBytesBound(deep)).toBeGreaterThan(0)
    expect(jsonBytesBound([deep])).toBe(-1)
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(jsonBytesBound(cycle)).toBe(-1)
    expect(jsonProblem(cycle, 'c')).toMatch(/cycle/)
  })

  it('refuses lone surrogates in strings and keys at any depth (the stores would turn them into U+FFFD)', () => {
    const cases: [unknown, RegExp][] = [
      ['\ud800', /^v has a lone surrogate/],
      [{ a: ['x\udc00'] }, /^v\.a\[0\] has a lone surrogate/],
      [{ a: { ['k\ud83d']: 1 } }, /^v\.a\["k\\ud83d"\]: the key has a lone surrogate/],
    ]
    for (const [value, problem] of cases) {
      expect(jsonBytesBound(value)).toBe(-1)
      expect(jsonProblem(value, 'v')).toMatch(problem)
    }
    expect(jsonBytesBound({ '😀': ['🏳️‍🌈', '\ud83d\ude00'] })).toBeGreaterThan(0) // pairs are well-formed
  })
})
