// SQLite store: rows edited by hand are reported as corrupt and deleted, and multi-step writes are all-or-nothing.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { testRecord } from '../../src/testing/index.ts'
import { sqliteStore, type SqliteStore } from '../../src/stores/sqlite.ts'
import type { SessionRecord } from '../../src/stores/types.ts'

const HOUR = 3_600_000
let db: Database.Database
let store: SqliteStore

beforeEach(() => {
  db = new Database(':memory:')
  store = sqliteStore({ database: db })
})
afterEach(async () => {
  await store.close()
  db.close()
})

const rowCount = (id: string): unknown =>
  db.prepare('SELECT count(*) FROM hallpass_sessions WHERE id = ?').pluck().get(id)

/** Writes a good record, then overwrites one column with raw SQL. */
async function tamper(column: string, value: unknown, userId = 'tampered'): Promise<SessionRecord> {
  const record = testRecord({ userId, data: { ok: true } })
  await store.create(record, { ttl: HOUR })
  db.prepare(`UPDATE hallpass_sessions SET ${column} = ? WHERE id = ?`).run(value, record.id)
  return record
}

const CORRUPTIONS: [label: string, column: string, value: unknown][] = [
  ['truncated JSON', 'data', '{"cart": [1, 2'],
  ['JSON that is not an object', 'data', '[1, 2, 3]'],
  ['JSON null', 'data', 'null'],
  ['a __proto__ key', 'data', '{"__proto__": {"polluted": true}}'],
  ['a nested __proto__ key', 'data', '{"a": {"b": {"__proto__": {"polluted": true}}}}'],
  ['a constructor key', 'data', '{"constructor": {"prototype": {"polluted": true}}}'],
  ['a prototype key', 'data', '{"x": {"prototype": 1}}'],
  ['data as a number', 'data', 42],
  ['data as a blob', 'data', Buffer.from('{}')],
  ['created_at as text', 'created_at', 'yesterday'],
  ['last_seen_at as a blob', 'last_seen_at', Buffer.from([1])],
  ['expires_at as text', 'expires_at', 'never'],
  ['version as text', 'version', 'v2'],
  ['version as a fraction', 'version', 1.5],
  ['persistent out of range', 'persistent', 7],
  ['user_id as a blob', 'user_id', Buffer.from('user-1')],
  ['roles that are not a list', 'roles', '{"admin": true}'],
  ['roles holding a number', 'roles', '["admin", 1]'],
  ['permissions with a __proto__ key', 'permissions', '[{"__proto__": {"polluted": true}}]'],
  ['ip as a blob', 'ip', Buffer.from([127, 0, 0, 1])],
  ['user_agent as a blob', 'user_agent', Buffer.from('Mozilla')],
  ['drop_at as text', 'drop_at', 'later'],
]

describe('sqliteStore corrupt rows', () => {
  for (const [label, column, value] of CORRUPTIONS) {
    it(`${label}: get reports 'corrupt' and deletes the row`, async () => {
      const record = await tamper(column, value)
      expect(await store.get(record.id)).toBe('corrupt')
      expect(rowCount(record.id)).toBe(0)
      expect(await store.get(record.id)).toBeNull()
    })
  }

  it('a number written into a TEXT column comes back as text (column affinity), so it stays well-typed', async () => {
    const record = await tamper('ip', 127001)
    expect(await store.get(record.id)).toMatchObject({ id: record.id, ip: '127001.0' })
  })

  it('never pollutes Object.prototype', async () => {
    for (const [, column, value] of CORRUPTIONS) await store.get((await tamper(column, value)).id)
    const list = await tamper('data', '{"__proto__": {"polluted": true}}', 'lister')
    await store.listByUser('lister')
    await store.patch(list.id, { set: { a: 1 }, unset: [], ttl: HOUR })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(
      Object.getOwnPropertyNames(Object.getPrototypeOf({})).sort(),
    )
  })

  it('listByUser skips corrupt rows, deletes them, and returns the good ones', async () => {
    const good = testRecord({ userId: 'mixed' })
    await store.create(good, { ttl: HOUR })
    const bad = await tamper('data', '{"__proto__": {}}', 'mixed')
    const wrongType = await tamper('version', 'v1', 'mixed')
    expect(await store.listByUser('mixed')).toEqual([good])
    expect(rowCount(bad.id)).toBe(0)
    expect(rowCount(wrongType.id)).toBe(0)
  })

  it('a patch on a corrupt row reports missing, deletes it, and never rewrites it', async () => {
    const record = await tamper('data', 'not json')
    expect(await store.patch(record.id, { set: { a: 1 }, unset: [], ttl: HOUR })).toBe('missing')
    expect(rowCount(record.id)).toBe(0)
  })

  it('the manager-facing record is a fresh plain object each time', async () => {
    const record = testRecord({ data: { nested: { list: [1] } } })
    await store.create(record, { ttl: HOUR })
    const first = (await store.get(record.id)) as SessionRecord
    expect(Object.getPrototypeOf(first.data)).toBe(Object.prototype)
    expect((await store.get(record.id)) as SessionRecord).not.toBe(first)
  })
})

describe('sqliteStore atomicity', () => {
  /** Makes SQLite abort any insert of an id starting with "boom" (a failure half-way through create). */
  const failInserts = (): void => {
    db.exec(
      "CREATE TRIGGER boom BEFORE INSERT ON hallpass_sessions WHEN NEW.id LIKE 'boom%' BEGIN SELECT RAISE(ABORT, 'boom'); END",
    )
  }
  /** Makes SQLite abort the deletion of one id (a failure at the last step of create or revoke). */
  const failDeleteOf = (id: string): void => {
    db.exec(
      `CREATE TRIGGER stuck BEFORE DELETE ON hallpass_sessions WHEN OLD.id = '${id}' BEGIN SELECT RAISE(ABORT, 'stuck'); END`,
    )
  }

  it('create with replaces: when the insert fails, the replaced session is still there', async () => {
    failInserts()
    const old = testRecord({ data: { cart: [1] } })
    await store.create(old, { ttl: HOUR })
    const next = testRecord({ id: `boom${old.id.slice(4)}`, userId: 'rotating' })
    await expect(store.create(next, { ttl: HOUR, replaces: old.id })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    })
    expect(await store.get(old.id)).toEqual(old)
    expect(await store.listByUser('rotating')).toEqual([])
  })

  it('create with replaces and a cap: when an eviction fails, neither the replace nor the insert happened', async () => {
    const victim = testRecord({ userId: 'capped' })
    await store.create(victim, { ttl: HOUR })
    const old = testRecord()
    await store.create(old, { ttl: HOUR })
    failDeleteOf(victim.id)
    const next = testRecord({ userId: 'capped' })
    await expect(
      store.create(next, { ttl: 2 * HOUR, replaces: old.id, maxPerUser: 1 }),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(await store.get(old.id)).toEqual(old)
    expect(await store.get(next.id)).toBeNull()
    expect((await store.listByUser('capped')).map((r) => r.id)).toEqual([victim.id])
  })

  it('create with replaces: a reader on another connection sees the old session or the new one, never neither', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hallpass-sqlite-'))
    const writerDb = new Database(join(dir, 'sessions.db'))
    const writer = sqliteStore({ database: writerDb })
    const readerDb = new Database(join(dir, 'sessions.db'))
    let current = testRecord({ userId: 'watched' })
    await writer.create(current, { ttl: HOUR })
    const live = readerDb
      .prepare('SELECT count(*) FROM hallpass_sessions WHERE user_id = ?')
      .pluck()
    const seen: unknown[] = []
    // Runs inside the writer's create, after the replaced row is deleted and before the new row is inserted.
    writerDb.function('observe', () => (seen.push(live.get('watched')), 0))
    writerDb.exec(
      'CREATE TRIGGER watch BEFORE INSERT ON hallpass_sessions BEGIN SELECT observe(); END',
    )
    for (let i = 0; i < 10; i++) {
      const next = testRecord({ userId: 'watched' })
      await writer.create(next, { ttl: HOUR, replaces: current.id })
      current = next
    }
    expect(seen).toEqual(Array.from({ length: 10 }, () => 1))
    expect(live.get('watched')).toBe(1)
    await writer.close()
    readerDb.close()
    writerDb.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('revoke is all-or-nothing: when one deletion fails, every session is kept', async () => {
    const records = [1, 2, 3].map(() => testRecord({ userId: 'revoked' }))
    for (const record of records) await store.create(record, { ttl: HOUR })
    failDeleteOf(records[2]!.id)
    await expect(store.revoke('revoked')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(await store.listByUser('revoked')).toHaveLength(3)
  })

  it('maxPerUser never evicts the session being created, even when it expires first', async () => {
    const long1 = testRecord({ userId: 'remembered' })
    const long2 = testRecord({ userId: 'remembered' })
    await store.create(long1, { ttl: 30 * 24 * HOUR })
    await store.create(long2, { ttl: 31 * 24 * HOUR })
    const short = testRecord({ userId: 'remembered' })
    const { evicted } = await store.create(short, { ttl: HOUR, maxPerUser: 2 })
    expect(evicted).toEqual([long1.id])
    expect((await store.listByUser('remembered')).map((r) => r.id).sort()).toEqual(
      [long2.id, short.id].sort(),
    )
  })
})
