// Store contract cases for expiry: a commit never shortens a record's life or moves its lastSeenAt back (#23.2).
import { expect } from 'vitest'
import type { SessionPatch } from '../stores/types.ts'
import { elapse, HOUR, read, testRecord, type ContractCase } from './records.ts'

/** A patch that changes no data. */
function touch(fields: Pick<SessionPatch, 'ttl' | 'lastSeenAt'>): SessionPatch {
  return { set: {}, unset: [], ...fields }
}

/**
 * Two requests of one session can commit with different views of it: S touched it (new lastSeenAt, a full idle
 * TTL) while L, loaded earlier, still computes its TTL from the lastSeenAt it loaded. The store keeps the later of
 * the two expiries and the later lastSeenAt, and never keeps a record past the latest expiry any patch gave.
 */
export function expiryCases(run: ContractCase): void {
  run(
    'a patch from a request with an older view never shortens the expiry or moves lastSeenAt back',
    async (t) => {
      const { store } = t
      const record = testRecord({ data: { a: 1 } })
      await store.create(record, { ttl: HOUR })
      expect(
        await store.patch(record.id, touch({ lastSeenAt: record.lastSeenAt + 5_000, ttl: HOUR })),
      ).toBe('ok')
      // L: a TTL counted from the lastSeenAt it loaded, and a touch from a clock that is behind.
      const late = { ...touch({ lastSeenAt: record.lastSeenAt + 1_000, ttl: 1 }), set: { b: 2 } }
      expect(await store.patch(record.id, late)).toBe('ok')
      await elapse(t, 50)
      const after = await read(store, record.id)
      expect(after).toMatchObject({
        data: { a: 1, b: 2 },
        lastSeenAt: record.lastSeenAt + 5_000,
        version: 3,
      })
    },
  )

  run(
    'a slow request writes after a touch: the record lives to the touch’s deadline, and not past it',
    async (t) => {
      const { store } = t
      // With a clock to move: the timeline (idle 10 min; L loads at T0+30 s, S touches at T0+597 s, L writes
      // at T0+598 s). In real time only the end can be checked without racing the clock: the record does not outlive it.
      const idle = t.advance ? 600_000 : 200
      const record = testRecord({ userId: 'slow-request' })
      const touched = record.lastSeenAt + 597_000
      await store.create(record, { ttl: idle })
      if (t.advance) await elapse(t, 597_000)
      expect(await store.patch(record.id, touch({ lastSeenAt: touched, ttl: idle }))).toBe('ok')
      if (t.advance) {
        await elapse(t, 1_000)
        expect(
          await store.patch(record.id, { ...touch({ ttl: 2_000 }), set: { upload: 'done' } }),
        ).toBe('ok')
        await elapse(t, 3_000) // T0+601 s: L's TTL would have ended the record here
        expect((await store.listByUser('slow-request')).map((r) => r.id)).toEqual([record.id])
        await elapse(t, 595_000) // T0+1196 s, a second before S's deadline
        expect(await read(store, record.id)).toMatchObject({
          data: { upload: 'done' },
          lastSeenAt: touched,
        })
        await elapse(t, 1_000)
      } else {
        expect(
          await store.patch(record.id, { ...touch({ ttl: 1 }), set: { upload: 'done' } }),
        ).toBe('ok')
        await elapse(t, idle + 50)
      }
      expect(await read(store, record.id)).toBeNull()
      expect(await store.patch(record.id, { ...touch({ ttl: idle }), set: { late: 1 } })).toBe(
        'missing',
      )
      expect(await store.listByUser('slow-request')).toEqual([])
    },
  )
}
