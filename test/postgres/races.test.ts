// The races on a real PostgreSQL server: concurrent update() increments, a write held up behind a logout or a
// rotation, parallel logins against the per-user cap, and a serialization failure retried.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionRecord, Store } from '../../src/stores/types.ts'
import { testRecord } from '../../src/testing/index.ts'
import { freshStore, POSTGRES_DRIVERS, useLockingPostgres } from '../support/postgres.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const HOUR = 3_600_000
const db = useLockingPostgres()

describe.each(POSTGRES_DRIVERS)('races on PostgreSQL through %s', (name) => {
  const client = () => db.driver(name)

  it('1,000 concurrent update() increments on one session, each from its own request, all land', async () => {
    const { store } = await freshStore(client())
    const { sessions } = testSessions({ store })
    const first = await sessions.load()
    await first.login('alice')
    const cookie = cookiePair((await first.commit()).cookies[0])
    const requests = await Promise.all(
      Array.from({ length: 1000 }, () => sessions.load({ cookie })),
    )
    const results = await Promise.allSettled(
      requests.map((s) => s.update((d) => void (d.n = Number(d.n ?? 0) + 1))),
    )
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    expect((await sessions.load({ cookie })).get('n')).toBe(1000)
  }, 120_000)

  it('a write held up behind a logout finds the session gone and never brings it back', async () => {
    const { store, table } = await freshStore(client())
    const record = testRecord({ userId: 'slow-writer' })
    await store.create(record, { ttl: HOUR })
    await db.lock(`DELETE FROM "${table}" WHERE id = $1`, [record.id]) // the logout, not committed yet
    const write = store.patch(record.id, {
      set: { late: true },
      unset: [],
      ttl: HOUR,
      lastSeenAt: Date.now(),
    })
    await db.lockWaiters(1)
    await db.commit()
    expect(await write).toBe('missing')
    expect(await store.get(record.id)).toBeNull()
    expect(await store.listByUser('slow-writer')).toEqual([])
  })

  it('a write and a logout both held up on the row: whichever runs first, the session ends gone', async () => {
    const { store, table } = await freshStore(client())
    for (let round = 0; round < 4; round++) {
      const record = testRecord({ userId: 'both-waiting' })
      await store.create(record, { ttl: HOUR })
      await db.lock(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [record.id])
      const first =
        round % 2 === 0
          ? store.destroy(record.id)
          : store.patch(record.id, { set: { a: round }, unset: [], ttl: HOUR })
      await db.lockWaiters(1)
      const second =
        round % 2 === 0
          ? store.patch(record.id, { set: { a: round }, unset: [], ttl: HOUR })
          : store.revoke('both-waiting')
      await db.lockWaiters(2)
      await db.commit()
      await Promise.all([first, second])
      expect(await store.get(record.id)).toBeNull()
    }
  })

  it('a request that loaded before a logout commits after it: nothing is written back', async () => {
    const { store } = await freshStore(client())
    const { sessions } = testSessions({ store })
    const first = await sessions.load()
    await first.login('bob')
    const cookie = cookiePair((await first.commit()).cookies[0])
    const slow = await sessions.load({ cookie })
    const logout = await sessions.load({ cookie })
    await logout.logout()
    await logout.commit()
    slow.set('cart', ['book'])
    await slow.commit().catch(() => undefined)
    expect((await sessions.load({ cookie })).userId).toBeNull()
    expect(await store.listByUser('bob')).toEqual([])
  })

  it('the rotation race: a write held up behind a login leaves the old id a tombstone, never a live session', async () => {
    const { store, table } = await freshStore(client())
    for (const writeFirst of [true, false]) {
      const old = testRecord({ data: { cart: 1 } })
      await store.create(old, { ttl: HOUR })
      const user = `rotating-${writeFirst}`
      const next = testRecord({ userId: user, data: { cart: 1 } })
      await db.lock(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [old.id])
      const write = (): Promise<unknown> =>
        store.patch(old.id, { set: { late: true }, unset: [], ttl: HOUR })
      const login = (): Promise<unknown> =>
        store.create(next, { ttl: HOUR, replaces: old.id, tombstone: 60_000 })
      const a = writeFirst ? write() : login()
      await db.lockWaiters(1)
      const b = writeFirst ? login() : write()
      await db.lockWaiters(2)
      await db.commit()
      await Promise.all([a, b])
      expect(await store.get(old.id)).toMatchObject({ version: 0, userId: null, data: {} })
      expect(await store.get(next.id)).toMatchObject({ userId: user, data: { cart: 1 } })
      expect((await store.listByUser(user)).map((r) => r.id)).toEqual([next.id])
    }
  })

  it('the cap holds exactly under 20 parallel logins of one user', async () => {
    const { store } = await freshStore(client())
    const now = Date.now()
    const logins: SessionRecord[] = Array.from({ length: 20 }, (_, i) =>
      testRecord({ userId: 'crowd', createdAt: now + i, lastSeenAt: now + i }),
    )
    const results = await Promise.all(
      logins.map((record) => store.create(record, { ttl: HOUR, maxPerUser: 3 })),
    )
    const left = (await store.listByUser('crowd')).map((r) => r.id)
    const evicted = results.flatMap((r) => r.evicted)
    expect(left).toHaveLength(3)
    expect(new Set(evicted).size).toBe(17)
    expect([...left, ...evicted].sort()).toEqual(logins.map((r) => r.id).sort())
  })

  it('the cap holds through the manager: 20 parallel sign-ins of one user keep maxSessionsPerUser', async () => {
    const { store } = await freshStore(client())
    const { sessions } = testSessions({ store, maxSessionsPerUser: 4 })
    const devices = await Promise.all(Array.from({ length: 20 }, () => sessions.load()))
    await Promise.all(
      devices.map(async (s) => {
        await s.login('carol')
        await s.commit()
      }),
    )
    expect(await sessions.listSessions('carol')).toHaveLength(4)
  })
})

describe('serialization failures on PostgreSQL', () => {
  /** A pool whose transactions run at REPEATABLE READ: a write that meets a concurrent change fails with 40001. */
  let strict: pg.Pool
  beforeAll(() => {
    strict = new pg.Pool({
      connectionString: db.url,
      options: '-c default_transaction_isolation=repeatable\\ read',
    })
  })
  afterAll(() => strict?.end())

  async function conflictingWrite(
    conflictRetries: number,
  ): Promise<{ write: Promise<unknown>; store: Store; id: string }> {
    const { store, table } = await freshStore(strict, { conflictRetries })
    const record = testRecord({ data: { n: 0 } })
    await store.create(record, { ttl: HOUR })
    await db.lock(`UPDATE "${table}" SET data = data || '{"other": true}' WHERE id = $1`, [
      record.id,
    ])
    const write = store.patch(record.id, { set: { mine: true }, unset: [], ttl: HOUR })
    write.catch(() => undefined)
    await db.lockWaiters(1)
    await db.commit() // the waiting write's snapshot is now stale: 40001
    return { write, store, id: record.id }
  }

  it('runs the statement again, so both changes persist', async () => {
    const { write, store, id } = await conflictingWrite(5)
    expect(await write).toBe('ok')
    expect((await store.get(id)) as SessionRecord).toMatchObject({
      data: { n: 0, other: true, mine: true },
    })
  })

  it('gives up after conflictRetries with SESSION_CONFLICT, having changed nothing', async () => {
    const { write, store, id } = await conflictingWrite(0)
    await expect(write).rejects.toMatchObject({ code: 'SESSION_CONFLICT' })
    expect(((await store.get(id)) as SessionRecord).data).toEqual({ n: 0, other: true })
  })
})
