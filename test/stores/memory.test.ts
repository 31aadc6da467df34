// Memory store: the shared contract on an injected clock, plus its bound and incremental sweep.
import { describe, expect, it } from 'vitest'
import { testRecord, testStore } from '../../src/testing/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'

testStore('memory', () => {
  let now = Date.now()
  const store = memoryStore({ clock: () => now })
  return { store, advance: (ms) => void (now += ms), cleanup: () => store.close() }
})

describe('memoryStore', () => {
  it('is bounded: the least recently written session goes first', async () => {
    const store = memoryStore({ maxSessions: 3 })
    const records = [1, 2, 3, 4].map(() => testRecord())
    for (const record of records.slice(0, 3)) await store.create(record, { ttl: 60_000 })
    await store.patch(records[0]!.id, { set: { hot: true }, unset: [], ttl: 60_000 })
    await store.create(records[3]!, { ttl: 60_000 })
    expect(store.size).toBe(3)
    expect(await store.get(records[1]!.id)).toBeNull()
    expect(await store.get(records[0]!.id)).not.toBeNull()
    await store.close()
  })

  it('sweeps expired entries in the background without a full scan per request', async () => {
    let now = 0
    const store = memoryStore({ clock: () => now, sweepIntervalMs: 5, sweepBatch: 10 })
    for (let i = 0; i < 50; i++) await store.create(testRecord(), { ttl: 1_000 })
    now = 2_000
    // Ten per 5 ms tick: five ticks clear them. Waiting for the condition (not a fixed 60 ms) keeps this
    // independent of how busy the machine is; without the background sweep the size never reaches 0.
    await expect.poll(() => store.size, { timeout: 5_000, interval: 5 }).toBe(0)
    await store.close()
  })

  it('prefers evicting an expired entry over a live one when full', async () => {
    let now = 0
    const store = memoryStore({ clock: () => now, maxSessions: 2 })
    const expired = testRecord()
    const live = testRecord()
    await store.create(expired, { ttl: 10 })
    await store.create(live, { ttl: 10_000 })
    now = 100
    await store.create(testRecord(), { ttl: 10_000 })
    expect(await store.get(live.id)).not.toBeNull()
    await store.close()
  })

  it('refuses a nonsensical bound at construction', () => {
    expect(() => memoryStore({ maxSessions: 0 })).toThrow(/maxSessions/)
  })

  it('refuses an unknown option (the removed sweepInterval too) and a wrong type at construction', () => {
    const refused = (options: Record<string, unknown>, message: RegExp) =>
      expect(() => memoryStore(options)).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringMatching(message),
        }),
      )
    const known =
      'known options are maxSessions, maxAnonymousSessions, sweepIntervalMs, sweepBatch, clock'
    refused(
      { sweepInterval: 5000 },
      new RegExp(`memoryStore: unknown option "sweepInterval"; ${known}`),
    )
    refused({ bogus: 1 }, /memoryStore: unknown option "bogus"/)
    refused({ sweepBatch: 0 }, /memoryStore sweepBatch must be a positive integer/)
    refused({ clock: 5 }, /memoryStore clock must be a function/)
    expect(() => memoryStore(null as never)).toThrow(/memoryStore options must be an object/)
  })
})
