// `testStore(factory)`: the shared contract suite every Store must pass (run it inside vitest).
import { describe, expect, it } from 'vitest'
import type { SessionRecord } from '../stores/types.ts'
import { tombstoneFor } from '../stores/tombstone.ts'
import { dataVersionCases } from './data-version-cases.ts'
import { expiryCases } from './expiry-cases.ts'
import { unicodeCases } from './unicode-cases.ts'
import {
  elapse,
  HOUR,
  read,
  testId,
  testRecord,
  type ContractCase,
  type StoreUnderTest,
} from './records.ts'

export { testId, testRecord, type StoreUnderTest } from './records.ts'

/**
 * Registers the Store contract tests. Every store, including third-party ones, must pass them.
 *
 * @example
 * ```ts
 * import { testStore } from 'hallpass/testing'
 * testStore('my store', async () => ({ store: myStore(), cleanup: () => flush() }))
 * ```
 */
export function testStore(
  name: string,
  factory: () => StoreUnderTest | Promise<StoreUnderTest>,
): void {
  describe(`Store contract: ${name}`, () => {
    const run: ContractCase = (title, body, timeout) => {
      it(
        title,
        async () => {
          const t = await factory()
          try {
            await body(t)
          } finally {
            await t.cleanup?.()
          }
        },
        timeout,
      )
    }

    run('returns null for an unknown id', async ({ store }) => {
      expect(await read(store, testId())).toBeNull()
    })

    run('round-trips a record with nested data, unicode and metadata', async ({ store }) => {
      const record = testRecord({
        userId: 'user-1',
        data: { cart: [{ sku: 'a', qty: 2 }], name: 'Zoë 🚀', n: 1.5, flag: false, nothing: null },
        roles: ['admin'],
        permissions: ['posts:*'],
        ip: '127.0.0.1',
        userAgent: 'Mozilla/5.0',
        persistent: true,
      })
      await store.create(record, { ttl: HOUR })
      expect(await read(store, record.id)).toEqual(record)
    })

    run(
      'hands out copies: mutating a returned record changes nothing stored',
      async ({ store }) => {
        const record = testRecord({ data: { list: [1] } })
        await store.create(record, { ttl: HOUR })
        const first = (await read(store, record.id)) as SessionRecord
        ;(first.data.list as number[]).push(2)
        expect(await read(store, record.id)).toMatchObject({ data: { list: [1] } })
      },
    )

    run('patch sets and unsets only the given keys and bumps the version', async ({ store }) => {
      const record = testRecord({ data: { a: 1, b: 2, c: 3 } })
      await store.create(record, { ttl: HOUR })
      expect(
        await store.patch(record.id, { set: { a: 10, d: { x: 1 } }, unset: ['b'], ttl: HOUR }),
      ).toBe('ok')
      const after = await read(store, record.id)
      expect(after?.data).toEqual({ a: 10, c: 3, d: { x: 1 } })
      expect(after?.version).toBe(2)
    })

    run('patch with lastSeenAt records the touch', async ({ store }) => {
      const record = testRecord()
      await store.create(record, { ttl: HOUR })
      await store.patch(record.id, {
        set: {},
        unset: [],
        lastSeenAt: record.lastSeenAt + 5_000,
        ttl: HOUR,
      })
      expect((await read(store, record.id))?.lastSeenAt).toBe(record.lastSeenAt + 5_000)
    })

    run(
      'keeps a device binding (DBSC key, a pending re-issue) through create, patch, replace, removal and listByUser',
      async ({ store }) => {
        const device = {
          id: 'dbsc-binding-0001',
          alg: 'ES256',
          jwk: { kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43) },
          boundAt: 1,
          usedAt: 0,
        } as const
        const record = testRecord({ userId: 'user-device', device })
        await store.create(record, { ttl: HOUR })
        expect(await read(store, record.id)).toEqual(record)
        expect(await store.patch(record.id, { set: { a: 1 }, unset: [], ttl: HOUR })).toBe('ok')
        expect((await read(store, record.id))?.device).toEqual(device)
        const rsa = {
          ...device,
          alg: 'RS256',
          jwk: { kty: 'RSA', n: 'n'.repeat(683), e: 'AQAB' },
          usedAt: 7,
        } as const
        expect(
          await store.patch(record.id, {
            set: {},
            unset: [],
            ttl: HOUR,
            device: rsa,
            expectVersion: 2,
          }),
        ).toBe('ok')
        expect((await read(store, record.id))?.device).toEqual(rsa)
        // A re-issue waiting for the device (regenerate() on a bound session) rides on the binding, then goes with it.
        const staged = {
          ...rsa,
          pending: { at: 12, roles: ['admin', 'r\u00e9le'], permissions: [] },
        }
        expect(
          await store.patch(record.id, { set: {}, unset: [], ttl: HOUR, device: staged }),
        ).toBe('ok')
        expect((await read(store, record.id))?.device).toEqual(staged)
        expect(
          await store.patch(record.id, {
            set: {},
            unset: [],
            ttl: HOUR,
            device: { ...device, usedAt: 9 },
          }),
        ).toBe('ok')
        expect((await store.listByUser('user-device'))[0]?.device).toEqual({ ...device, usedAt: 9 })
        expect(await store.patch(record.id, { set: {}, unset: [], ttl: HOUR, device: null })).toBe(
          'ok',
        )
        const after = await read(store, record.id)
        expect(after?.device).toBeUndefined()
        expect(after?.data).toEqual({ a: 1 })
      },
    )

    run('patch never recreates a missing session', async ({ store }) => {
      const id = testId()
      expect(await store.patch(id, { set: { a: 1 }, unset: [], ttl: HOUR })).toBe('missing')
      expect(await read(store, id)).toBeNull()
    })

    run('patch with a stale expectVersion is refused and changes nothing', async ({ store }) => {
      const record = testRecord({ data: { n: 1 } })
      await store.create(record, { ttl: HOUR })
      await store.patch(record.id, { set: { n: 2 }, unset: [], ttl: HOUR })
      expect(
        await store.patch(record.id, { set: { n: 99 }, unset: [], ttl: HOUR, expectVersion: 1 }),
      ).toBe('conflict')
      expect(
        await store.patch(record.id, { set: { n: 3 }, unset: [], ttl: HOUR, expectVersion: 2 }),
      ).toBe('ok')
      expect((await read(store, record.id))?.data).toEqual({ n: 3 })
    })

    run('destroy removes the record and its index entry', async ({ store }) => {
      const record = testRecord({ userId: 'user-destroy' })
      await store.create(record, { ttl: HOUR })
      expect(await store.destroy(record.id)).toBe(true)
      expect(await store.destroy(record.id)).toBe(false)
      expect(await read(store, record.id)).toBeNull()
      expect(await store.listByUser('user-destroy')).toEqual([])
    })

    run(
      'create with replaces deletes the old record and indexes the new one',
      async ({ store }) => {
        const old = testRecord({ data: { cart: 1 } })
        await store.create(old, { ttl: HOUR })
        const next = testRecord({ userId: 'user-rotate', data: { cart: 1 } })
        await store.create(next, { ttl: HOUR, replaces: old.id })
        expect(await read(store, old.id)).toBeNull()
        expect((await store.listByUser('user-rotate')).map((r) => r.id)).toEqual([next.id])
        const again = testRecord({ userId: 'user-rotate' })
        await store.create(again, { ttl: HOUR, replaces: next.id })
        expect((await store.listByUser('user-rotate')).map((r) => r.id)).toEqual([again.id])
      },
    )

    run(
      'create with replaces and a tombstone leaves an unindexed tombstone that no patch changes',
      async ({ store }) => {
        const old = testRecord({ userId: 'user-stone', data: { secret: 'x' }, roles: ['admin'] })
        await store.create(old, { ttl: HOUR })
        const next = testRecord({ userId: 'user-stone', data: { secret: 'x' } })
        await store.create(next, { ttl: HOUR, replaces: old.id, tombstone: 60_000 })
        expect(await read(store, old.id)).toEqual(tombstoneFor(old.id, next.lastSeenAt, 60_000))
        expect(
          await store.patch(old.id, {
            set: { late: 1 },
            unset: [],
            ttl: HOUR,
            lastSeenAt: Date.now(),
          }),
        ).toBe('missing')
        expect(await store.patch(old.id, { set: {}, unset: [], ttl: HOUR, expectVersion: 0 })).toBe(
          'missing',
        )
        expect(await read(store, old.id)).toEqual(tombstoneFor(old.id, next.lastSeenAt, 60_000))
        expect((await store.listByUser('user-stone')).map((r) => r.id)).toEqual([next.id])
        expect(await store.revoke('user-stone')).toEqual([next.id])
        const anonymous = testRecord()
        await store.create(anonymous, { ttl: HOUR })
        const login = testRecord({ userId: 'user-stone' })
        await store.create(login, { ttl: HOUR, replaces: anonymous.id, tombstone: 60_000 })
        expect(await read(store, anonymous.id)).toMatchObject({
          version: 0,
          userId: null,
          data: {},
        })
      },
    )

    run('listByUser returns only that user’s live sessions', async ({ store }) => {
      const a1 = testRecord({ userId: 'user-a' })
      const a2 = testRecord({ userId: 'user-a' })
      const b1 = testRecord({ userId: 'user-b' })
      const anon = testRecord()
      for (const record of [a1, a2, b1, anon]) await store.create(record, { ttl: HOUR })
      expect((await store.listByUser('user-a')).map((r) => r.id).sort()).toEqual(
        [a1.id, a2.id].sort(),
      )
      expect((await store.listByUser('user-b')).map((r) => r.id)).toEqual([b1.id])
      expect(await store.listByUser('user-nobody')).toEqual([])
    })

    run('revoke by id only touches sessions the user owns', async ({ store }) => {
      const mine = testRecord({ userId: 'owner' })
      const theirs = testRecord({ userId: 'other' })
      await store.create(mine, { ttl: HOUR })
      await store.create(theirs, { ttl: HOUR })
      expect(await store.revoke('owner', { ids: [theirs.id] })).toEqual([])
      expect(await read(store, theirs.id)).not.toBeNull()
      expect(await store.revoke('owner', { ids: [mine.id] })).toEqual([mine.id])
      expect(await read(store, mine.id)).toBeNull()
    })

    run('revoke all, keeping one', async ({ store }) => {
      const records = [1, 2, 3].map(() => testRecord({ userId: 'everywhere' }))
      for (const record of records) await store.create(record, { ttl: HOUR })
      const [keep, ...rest] = records as [SessionRecord, ...SessionRecord[]]
      expect((await store.revoke('everywhere', { except: keep.id })).sort()).toEqual(
        rest.map((r) => r.id).sort(),
      )
      expect((await store.listByUser('everywhere')).map((r) => r.id)).toEqual([keep.id])
      expect(await store.revoke('everywhere')).toEqual([keep.id])
      expect(await read(store, keep.id)).toBeNull()
    })

    run(
      'maxPerUser evicts the least recently used sessions (last seen, then created), never the new one',
      async ({ store }) => {
        const now = Date.now()
        // A remember-me session unused for days, one in use a second ago (and closest to expiry), one used an hour ago.
        const idle = testRecord({
          userId: 'capped',
          persistent: true,
          createdAt: now - 9 * 24 * HOUR,
          lastSeenAt: now - 3 * 24 * HOUR,
          expiresAt: now + 20 * 24 * HOUR,
        })
        const active = testRecord({
          userId: 'capped',
          createdAt: now - 2 * HOUR,
          lastSeenAt: now - 1_000,
        })
        const hourAgo = testRecord({
          userId: 'capped',
          createdAt: now - 3 * HOUR,
          lastSeenAt: now - HOUR,
        })
        await store.create(idle, { ttl: 20 * 24 * HOUR, maxPerUser: 3 })
        await store.create(active, { ttl: HOUR, maxPerUser: 3 })
        await store.create(hourAgo, { ttl: 2 * HOUR, maxPerUser: 3 })
        const fresh = testRecord({ userId: 'capped', createdAt: now, lastSeenAt: now })
        expect((await store.create(fresh, { ttl: HOUR, maxPerUser: 2 })).evicted.sort()).toEqual(
          [idle.id, hourAgo.id].sort(),
        )
        expect((await store.listByUser('capped')).map((r) => r.id).sort()).toEqual(
          [active.id, fresh.id].sort(),
        )
      },
    )

    run(
      'maxPerUser: a touch (patch lastSeenAt) counts as use, equal last-seen falls back to created, the new session is never evicted',
      async ({ store }) => {
        const now = Date.now()
        const oldest = testRecord({
          userId: 'capped-lru',
          createdAt: now - 5 * HOUR,
          lastSeenAt: now - 5 * HOUR,
        })
        const older = testRecord({
          userId: 'capped-lru',
          createdAt: now - 4 * HOUR,
          lastSeenAt: now - 2 * HOUR,
        })
        const sameSeen = testRecord({
          userId: 'capped-lru',
          createdAt: now - 3 * HOUR,
          lastSeenAt: now - 2 * HOUR,
        })
        for (const record of [oldest, older, sameSeen])
          await store.create(record, { ttl: 10 * HOUR })
        expect(
          await store.patch(oldest.id, {
            set: {},
            unset: [],
            lastSeenAt: now - 1_000,
            ttl: 10 * HOUR,
          }),
        ).toBe('ok')
        const stale = testRecord({
          userId: 'capped-lru',
          createdAt: now - 9 * HOUR,
          lastSeenAt: now - 9 * HOUR,
        })
        expect((await store.create(stale, { ttl: 1_000, maxPerUser: 3 })).evicted).toEqual([
          older.id,
        ])
        expect((await store.listByUser('capped-lru')).map((r) => r.id).sort()).toEqual(
          [oldest.id, sameSeen.id, stale.id].sort(),
        )
      },
    )

    run(
      'maxPerUser counts only the user’s own sessions: no other ones ever evict them',
      async ({ store }) => {
        const now = Date.now()
        const at = (hoursAgo: number) => ({
          createdAt: now - hoursAgo * HOUR,
          lastSeenAt: now - hoursAgo * HOUR,
        })
        const mine = [1, 2].map((i) => testRecord({ userId: 'capped-own', ...at(i) }))
        for (const record of mine) await store.create(record, { ttl: HOUR, maxPerUser: 2 })
        for (let i = 0; i < 5; i++) {
          const other = await store.create(testRecord({ userId: 'cap-other' }), {
            ttl: HOUR,
            maxPerUser: 2,
          })
          const anonymous = await store.create(testRecord(), { ttl: HOUR, maxPerUser: 2 })
          for (const { id } of mine)
            expect([...other.evicted, ...anonymous.evicted]).not.toContain(id)
        }
        expect((await store.listByUser('capped-own')).map((r) => r.id).sort()).toEqual(
          mine.map((r) => r.id).sort(),
        )
      },
    )

    run('records disappear after their TTL, and a patch extends it', async (t) => {
      const { store } = t
      const ttl = t.advance ? HOUR : 300
      const wait = (ms: number): Promise<void> => elapse(t, ms)
      const short = testRecord({ userId: 'ttl-user' })
      const kept = testRecord()
      await store.create(short, { ttl })
      await store.create(kept, { ttl })
      await wait(ttl * 0.6)
      expect(await store.patch(kept.id, { set: {}, unset: [], ttl, lastSeenAt: Date.now() })).toBe(
        'ok',
      )
      await wait(ttl * 0.6)
      expect(await read(store, short.id)).toBeNull()
      expect(await store.patch(short.id, { set: { a: 1 }, unset: [], ttl })).toBe('missing')
      expect(await read(store, kept.id)).not.toBeNull()
      expect(await store.listByUser('ttl-user')).toEqual([])
    })

    run(
      '1,000 concurrent patches of different keys lose nothing',
      async ({ store }) => {
        const record = testRecord()
        await store.create(record, { ttl: HOUR })
        const results = await Promise.all(
          Array.from({ length: 1000 }, (_, i) =>
            store.patch(record.id, { set: { [`k${i}`]: i }, unset: [], ttl: HOUR }),
          ),
        )
        expect(results.every((r) => r === 'ok')).toBe(true)
        const after = await read(store, record.id)
        expect(Object.keys(after?.data ?? {})).toHaveLength(1000)
        expect(after?.data.k999).toBe(999)
        expect(after?.version).toBe(1001)
      },
      60_000,
    )

    run(
      '100 concurrent compare-and-swap increments end at exactly 100',
      async ({ store }) => {
        const record = testRecord({ data: { n: 0 } })
        await store.create(record, { ttl: HOUR })
        const increment = async (): Promise<void> => {
          for (;;) {
            const current = await read(store, record.id)
            if (!current) throw new Error('record vanished')
            const result = await store.patch(record.id, {
              set: { n: (current.data.n as number) + 1 },
              unset: [],
              ttl: HOUR,
              expectVersion: current.version,
            })
            if (result === 'ok') return
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 3))
          }
        }
        await Promise.all(Array.from({ length: 100 }, increment))
        expect((await read(store, record.id))?.data.n).toBe(100)
      },
      60_000,
    )

    run('a patch racing a destroy or a revoke never resurrects the session', async ({ store }) => {
      for (let round = 0; round < 20; round++) {
        const record = testRecord({ userId: 'racer' })
        await store.create(record, { ttl: HOUR })
        const kill = round % 2 === 0 ? store.destroy(record.id) : store.revoke('racer')
        await Promise.all([
          kill,
          ...Array.from({ length: 5 }, (_, i) =>
            store.patch(record.id, { set: { [`k${i}`]: i }, unset: [], ttl: HOUR }),
          ),
        ])
        expect(await read(store, record.id)).toBeNull()
        expect(await store.patch(record.id, { set: { late: true }, unset: [], ttl: HOUR })).toBe(
          'missing',
        )
        expect(await read(store, record.id)).toBeNull()
      }
      expect(await store.listByUser('racer')).toEqual([])
    })

    expiryCases(run)
    unicodeCases(run)
    dataVersionCases(run)
  })
}
