// The store on a database whose default isolation is SERIALIZABLE (as some teams set it): the update() race and the
// per-user cap hold exactly as at READ COMMITTED, through pg and postgres.js.
import { describe, expect, it } from 'vitest'
import type { SessionRecord } from '../../src/stores/types.ts'
import { testRecord } from '../../src/testing/index.ts'
import { freshStore, POSTGRES_DRIVERS, testStore, useLockingPostgres } from '../support/postgres.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const HOUR = 3_600_000
const db = useLockingPostgres({ defaultIsolation: 'serializable' })

describe.each(POSTGRES_DRIVERS)('default_transaction_isolation = serializable, %s', (name) => {
  const client = () => db.driver(name)

  it('the connections really are SERIALIZABLE by default', async () => {
    const rows: unknown = await (name === 'pg Pool'
      ? db.pool.query('SHOW transaction_isolation').then((r) => r.rows)
      : db.sql`SHOW transaction_isolation`)
    expect(rows).toEqual([{ transaction_isolation: 'serializable' }])
  })

  it('200 concurrent update() increments on one session across 2 managers all land: no 503, no 409', async () => {
    const { store, table } = await freshStore(client())
    // Two app processes' managers, each with its own store on the shared client.
    const managers = [store, testStore(client(), table)].map(
      (own) => testSessions({ store: own }).sessions,
    )
    const [one, two] = managers as [(typeof managers)[0], (typeof managers)[0]]
    const first = await one.load()
    await first.login('alice')
    const cookie = cookiePair((await first.commit()).cookies[0])
    const requests = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? one : two).load({ cookie })),
    )
    const results = await Promise.allSettled(
      requests.map((s) => s.update((d) => void (d.n = Number(d.n ?? 0) + 1))),
    )
    const failures = results.flatMap((r) =>
      r.status === 'rejected' ? [String((r.reason as { code?: unknown }).code)] : [],
    )
    expect(failures).toEqual([])
    expect((await one.load({ cookie })).get('n')).toBe(200)
  }, 120_000)

  it('a compare-and-swap write that meets a concurrent change (40001) answers conflict at once, for update() to re-read', async () => {
    const { store, table } = await freshStore(client(), { conflictRetries: 0 })
    const record = testRecord({ data: { n: 0 } })
    await store.create(record, { ttl: HOUR })
    await db.lock(`UPDATE "${table}" SET version = version + 1 WHERE id = $1`, [record.id])
    const write = store.patch(record.id, {
      set: { n: 1 },
      unset: [],
      ttl: HOUR,
      expectVersion: record.version,
    })
    write.catch(() => undefined)
    await db.lockWaiters(1)
    await db.commit() // the waiting write's snapshot is now stale: 40001 under SERIALIZABLE
    expect(await write).toBe('conflict')
  })

  it('20 parallel logins under the cap leave exactly the cap: no SESSION_CONFLICT', async () => {
    const { store } = await freshStore(client())
    const now = Date.now()
    const logins: SessionRecord[] = Array.from({ length: 20 }, (_, i) =>
      testRecord({ userId: 'crowd', createdAt: now + i, lastSeenAt: now + i }),
    )
    const results = await Promise.allSettled(
      logins.map((record) => store.create(record, { ttl: HOUR, maxPerUser: 3 })),
    )
    const failures = results.flatMap((r) =>
      r.status === 'rejected' ? [String((r.reason as { code?: unknown }).code)] : [],
    )
    expect(failures).toEqual([])
    expect(await store.listByUser('crowd')).toHaveLength(3)
    const evicted = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.evicted : []))
    expect(new Set(evicted).size).toBe(17)
  }, 60_000)
})
