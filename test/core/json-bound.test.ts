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
        fc.pre(!Object.is(value, -0) && !/__proto__|constructor|prototype/.test(JSON.stringify(value)))
        expect(jsonBytesBound(value)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(value)))
        expect(jsonProblem(value, 'v')).toBeUndefined()
      }),
      { numRuns: 2_000 },
    )
  })

  it('bounds the worst cases: control characters, lone surrogates, long numbers, deep nesting and cycles', () => {
    for (const value of ['\x00\x1f', '\ud800', 'é€😀', -1.2345678901234567e-308, Number.MIN_VALUE, { ['\x01'.repeat(5)]: ['\ud800'] }]) {
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
})
