// A HallpassError's cause (a driver error naming hosts and ports) stays on the server when a framework serializes the error.
import { serialize } from 'seroval'
import { describe, expect, it } from 'vitest'
import { HallpassError } from '../../src/errors.ts'

const driverError = new Error('connect ECONNREFUSED 10.0.0.7:6379')

describe('HallpassError cause', () => {
  it('is readable on the server (logs, err.cause) but is not an own property', () => {
    const err = new HallpassError('STORE_UNAVAILABLE', 'the session store is unavailable', {
      cause: driverError,
    })
    expect(err.cause).toBe(driverError)
    expect(Object.getOwnPropertyNames(err)).not.toContain('cause')
    expect(new HallpassError('STORE_UNAVAILABLE', 'no cause').cause).toBeUndefined()
  })

  it("TanStack Start's serializer (seroval, which copies an error's own properties) sends the code, never the cause", () => {
    const err = new HallpassError('STORE_UNAVAILABLE', 'the session store is unavailable', {
      cause: driverError,
    })
    const sent = serialize(err)
    expect(sent).toContain('STORE_UNAVAILABLE')
    expect(sent).not.toContain('10.0.0.7')
    expect(sent).not.toContain('ECONNREFUSED')
  })
})
