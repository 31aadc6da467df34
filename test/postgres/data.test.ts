// What the Postgres store keeps and refuses: Unicode it cannot keep exactly, rows it did not write, times that only move
// forward, expired rows purged in batches, and the counts of stats().
import { describe, expect, it } from 'vitest'
import {
  migratePostgres,
  postgresStore,
  type PostgresStore,
} from '../../src/stores/postgres/index.ts'
import type { SessionRecord } from '../../src/stores/types.ts'
import { testRecord } from '../../src/testing/index.ts'
import { testClock, type TestClock } from '../support/clock.ts'
import { uniqueTable, usePostgres } from '../support/postgres.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const HOUR = 3_600_000
const db = usePostgres({ max: 4 })

async function fresh(
  options: { purgeBatch?: number } = {},
): Promise<{ store: PostgresStore; table: string; clock: TestClock }> {
  const table = uniqueTable('data')
  await migratePostgres({ client: db.pool, table })
  const clock = testClock(Date.now())
  return {
    store: postgresStore({ client: db.pool, table, clock, purgeIntervalMs: 0, ...options }),
    table,
    clock,
  }
}

describe('Unicode Postgres cannot keep exactly is refused with a typed error', () => {
  it('user ids, roles, ip and user agent with a NUL or an unpaired surrogate: INVALID_ARGUMENT, nothing written', async () => {
    const { store, table } = await fresh()
    for (const overrides of [
      { userId: 'u\uD800' },
      { userId: 'u\u0000' },
      { userId: 'ok', roles: ['admin\uDC00'] },
      { ip: '1.2.3.4\u0000' },
      { userAgent: 'agent\uD83D' },
    ]) {
      await expect(store.create(testRecord(overrides), { ttl: HOUR })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
    }
    await expect(store.listByUser('u\uD800')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(store.revoke('u\uD800')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n).toBe(0)
  })

  it('data keys and strings with a NUL or an unpaired surrogate: SESSION_DATA_INVALID on create and patch', async () => {
    const { store } = await fresh()
    for (const data of [{ q: 'a\u0000b' }, { 'k\uDC00': 1 }, { deep: [{ s: 'x\uD800y' }] }]) {
      await expect(store.create(testRecord({ data }), { ttl: HOUR })).rejects.toMatchObject({
        code: 'SESSION_DATA_INVALID',
      })
    }
    const record = testRecord()
    await store.create(record, { ttl: HOUR })
    await expect(
      store.patch(record.id, { set: { q: 'a\u0000b' }, unset: [], ttl: HOUR }),
    ).rejects.toMatchObject({
      code: 'SESSION_DATA_INVALID',
    })
    await expect(
      store.patch(record.id, { set: {}, unset: ['k\uD800'], ttl: HOUR }),
    ).rejects.toMatchObject({
      code: 'SESSION_DATA_INVALID',
    })
    expect(await store.get(record.id)).toMatchObject({ version: 1, data: {} })
  })

  it('what it can keep round-trips exactly: emoji, a backslash before "u0000", other control characters', async () => {
    const { store } = await fresh()
    const data = {
      emoji: 'Zoë 🚀 👩‍👩‍👧',
      escaped: '\\u0000 and \\ud800',
      control: '\u0001\u001f\t\n',
      'kéy 🔑': true,
    }
    const record = testRecord({ userId: 'user 🚀', data, roles: ['rôle'] })
    await store.create(record, { ttl: HOUR })
    expect(await store.get(record.id)).toEqual(record)
    expect((await store.listByUser('user 🚀')).map((r) => r.id)).toEqual([record.id])
  })

  it('through the manager, a NUL in data is refused at set() with SESSION_DATA_INVALID, and nothing is written', async () => {
    const { store } = await fresh()
    const { sessions } = testSessions({ store })
    const session = await sessions.load()
    await session.login('nul-user')
    const cookie = cookiePair((await session.commit()).cookies[0])
    const next = await sessions.load({ cookie })
    expect(() => next.set('search', 'a\u0000b')).toThrow(
      expect.objectContaining({ code: 'SESSION_DATA_INVALID' }),
    )
    await next.commit()
    const again = await sessions.load({ cookie })
    expect(again.userId).toBe('nul-user')
    expect(again.get('search')).toBeUndefined()
  })
})

describe('rows the store did not write', () => {
  // [what, the change, what a patch answers: only a row it cannot merge into is missing; the next read finds the rest]
  const bad: Array<[string, string, 'ok' | 'missing']> = [
    ['data that is not an object', `data = '[1, 2]'`, 'missing'],
    ['a __proto__ key', `data = '{"__proto__": {"admin": true}}'`, 'ok'],
    ['a negative version', `version = -1`, 'missing'],
    ['roles that are not strings', `roles = '[1]'`, 'ok'],
    [
      'a device binding with a private key',
      `device = '{"id": "dbsc-binding-0001", "alg": "ES256", "jwk": {"kty": "EC", "d": "secret"}, "boundAt": 1, "usedAt": 0}'`,
      'ok',
    ],
  ]

  it.each(bad)(
    '%s: get answers corrupt and deletes it, listByUser skips it',
    async (_, change, patched) => {
      const { store, table } = await fresh()
      const [one, two] = [
        testRecord({ userId: 'hand-edited' }),
        testRecord({ userId: 'hand-edited' }),
      ] as [SessionRecord, SessionRecord]
      await store.create(one, { ttl: HOUR })
      await store.create(two, { ttl: HOUR })
      await db.pool.query(`UPDATE "${table}" SET ${change} WHERE id = ANY($1)`, [[one.id, two.id]])
      expect(await store.patch(one.id, { set: { a: 1 }, unset: [], ttl: HOUR })).toBe(patched)
      expect(await store.get(one.id)).toBe('corrupt')
      expect(await store.get(one.id)).toBeNull()
      expect(await store.listByUser('hand-edited')).toEqual([])
      expect([null, 'corrupt']).toContain(await store.get(two.id)) // deleted by listByUser, or now
      expect((await db.pool.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n).toBe(0)
    },
  )
})

describe('times only move forward', () => {
  it('a commit with an older lastSeenAt or a shorter ttl neither moves lastSeenAt back nor shortens the expiry', async () => {
    const { store, clock } = await fresh()
    const record = testRecord()
    await store.create(record, { ttl: 10 * 60_000 })
    expect(
      await store.patch(record.id, {
        set: {},
        unset: [],
        lastSeenAt: record.lastSeenAt + 61_000,
        ttl: 10 * 60_000,
      }),
    ).toBe('ok')
    // A request that loaded before that touch writes afterwards, with the TTL it computed from its older copy.
    expect(
      await store.patch(record.id, {
        set: { late: 1 },
        unset: [],
        lastSeenAt: record.lastSeenAt + 30_000,
        ttl: 2_000,
      }),
    ).toBe('ok')
    expect(await store.get(record.id)).toMatchObject({ lastSeenAt: record.lastSeenAt + 61_000 })
    clock.advance(9 * 60_000)
    expect(await store.get(record.id)).toMatchObject({ data: { late: 1 } })
    clock.advance(2 * 60_000)
    expect(await store.get(record.id)).toBeNull()
  })
})

describe('purge() and stats()', () => {
  it('deletes only expired rows, in batches, skipping a row another transaction holds until the next purge', async () => {
    const { store, table, clock } = await fresh({ purgeBatch: 10 })
    const short = Array.from({ length: 25 }, () => testRecord())
    const long = Array.from({ length: 5 }, () => testRecord({ userId: 'stays' }))
    for (const record of short) await store.create(record, { ttl: 1_000 })
    for (const record of long) await store.create(record, { ttl: HOUR })
    clock.advance(5_000)
    const admin = await db.pool.connect()
    try {
      await admin.query('BEGIN')
      await admin.query(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [short[0]?.id])
      expect(await store.purge()).toBe(24)
      await admin.query('COMMIT')
    } finally {
      admin.release()
    }
    expect(await store.purge()).toBe(1)
    expect(await store.purge()).toBe(0)
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n).toBe(5)
  })

  it('stats() counts live sessions, users, anonymous ones, the largest user and those expiring soon; not tombstones', async () => {
    const { store } = await fresh()
    const anonymous = testRecord()
    await store.create(anonymous, { ttl: HOUR })
    await store.create(testRecord({ userId: 'many' }), {
      ttl: HOUR,
      replaces: anonymous.id,
      tombstone: 60_000,
    })
    await store.create(testRecord({ userId: 'many' }), { ttl: 5_000 })
    await store.create(testRecord({ userId: 'many' }), { ttl: HOUR })
    await store.create(testRecord({ userId: 'one' }), { ttl: HOUR })
    await store.create(testRecord(), { ttl: 5_000 })
    await store.create(testRecord(), { ttl: 1 })
    expect(await store.stats(10_000)).toEqual({
      sessions: 6,
      users: 2,
      anonymous: 2,
      maxPerUser: 3,
      expiring: 3,
    })
  })
})
