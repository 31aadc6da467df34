// SQLite store: the shared contract (in memory with an injected clock, and on a WAL file), options, persistence, purge, outages.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { isHallpassError } from '../../src/errors.ts'
import { testRecord, testStore } from '../../src/testing/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import { COLUMNS } from '../../src/stores/sqlite/schema.ts'

const HOUR = 3_600_000
const dirs: string[] = []
/** A fresh temp directory, removed after the test. */
function tempFile(name = 'sessions.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-sqlite-'))
  dirs.push(dir)
  return join(dir, name)
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

testStore('sqlite (in memory, injected clock)', () => {
  let now = Date.now()
  const store = sqliteStore({ database: ':memory:', clock: () => now })
  return { store, advance: (ms) => void (now += ms), cleanup: () => store.close() }
})

// The clock is injected here too: on a loaded machine a real 300 ms TTL is a race the test can lose.
testStore('sqlite (file, WAL, injected clock)', () => {
  let now = Date.now()
  const store = sqliteStore<Database.Database>({ database: tempFile(), clock: () => now })
  expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal')
  return { store, advance: (ms) => void (now += ms), cleanup: () => store.close() }
})

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (err) {
    return isHallpassError(err) ? err.code : `not a HallpassError: ${String(err)}`
  }
  return undefined
}

describe('sqliteStore options', () => {
  it('refuses table names that are not plain identifiers', () => {
    for (const table of [
      '',
      'sessions; DROP TABLE users',
      'a"b',
      '1abc',
      'sqlite_master',
      'x'.repeat(64),
      42,
    ]) {
      expect(
        codeOf(() => sqliteStore({ database: ':memory:', table: table as string })),
        String(table),
      ).toBe('CONFIG_INVALID')
    }
  })

  it('refuses a database that is not a better-sqlite3 Database, a closed or readonly one, and bad options', () => {
    expect(codeOf(() => sqliteStore({ database: {} as Database.Database }))).toBe('CONFIG_INVALID')
    expect(codeOf(() => sqliteStore({ database: null as unknown as string }))).toBe(
      'CONFIG_INVALID',
    )
    expect(codeOf(() => sqliteStore({ database: '' }))).toBe('CONFIG_INVALID')
    expect(codeOf(() => sqliteStore(undefined as never))).toBe('CONFIG_INVALID')
    const closed = new Database(':memory:')
    closed.close()
    expect(codeOf(() => sqliteStore({ database: closed }))).toBe('CONFIG_INVALID')
    const file = tempFile()
    new Database(file).close()
    const readonly = new Database(file, { readonly: true })
    expect(codeOf(() => sqliteStore({ database: readonly }))).toBe('CONFIG_INVALID')
    readonly.close()
    expect(codeOf(() => sqliteStore({ database: ':memory:', purgeIntervalMs: -1 }))).toBe(
      'CONFIG_INVALID',
    )
    expect(codeOf(() => sqliteStore({ database: ':memory:', purgeIntervalMs: 1.5 }))).toBe(
      'CONFIG_INVALID',
    )
    expect(
      codeOf(() => sqliteStore({ database: ':memory:', clock: 5 as unknown as () => number })),
    ).toBe('CONFIG_INVALID')
    expect(codeOf(() => sqliteStore({ database: ':memory:', tabel: 'x' } as never))).toBe(
      'CONFIG_INVALID',
    )
    expect(codeOf(() => sqliteStore({ database: join(tempFile(), 'no', 'such', 'dir.db') }))).toBe(
      'CONFIG_INVALID',
    )
  })

  it('refuses to reuse an existing table of another shape, and leaves it alone', () => {
    const db = new Database(':memory:')
    db.exec('CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT)')
    expect(codeOf(() => sqliteStore({ database: db, table: 'users' }))).toBe('CONFIG_INVALID')
    expect(db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('users')).toEqual([
      'id',
      'email',
    ])
    db.close()
  })

  it('refuses a table from before the device column: nothing is migrated, and the table is left alone', () => {
    const db = new Database(':memory:')
    const columns = COLUMNS.filter((column) => column !== 'device')
    db.exec(`CREATE TABLE hallpass_sessions (${columns.join(', ')})`)
    const err = (() => {
      try {
        sqliteStore({ database: db })
      } catch (error) {
        return error
      }
    })()
    expect(err).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('missing device'),
    })
    expect(
      db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('hallpass_sessions'),
    ).toEqual(columns)
    db.close()
  })

  it('switches a file database it is given to WAL, and creates the per-user index', () => {
    const file = tempFile()
    const db = new Database(file)
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete')
    const store = sqliteStore({ database: db, table: 'app_sessions' })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    const indexes = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'app_sessions'")
      .pluck()
      .all()
    expect(indexes).toContain('app_sessions_user_idx')
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT id FROM app_sessions WHERE user_id = ? AND drop_at > ?')
      .all('u', 0) as { detail: string }[]
    expect(plan.map((step) => step.detail).join(' ')).toMatch(
      /USING (COVERING )?INDEX app_sessions_user_idx/,
    )
    void store.close()
    db.close()
  })
})

describe('sqliteStore persistence and sharing', () => {
  it('a session written by one store instance is read by a new one on the same file', async () => {
    const file = tempFile()
    const record = testRecord({
      userId: 'persisted',
      data: { cart: ['a'] },
      roles: ['user'],
      ip: '10.0.0.1',
      persistent: true,
    })
    const first = sqliteStore<Database.Database>({ database: file })
    await first.create(record, { ttl: HOUR })
    await first.patch(record.id, { set: { step: 2 }, unset: [], ttl: HOUR })
    await first.close()
    expect(first.database.open).toBe(false)

    const second = sqliteStore({ database: file })
    expect(await second.get(record.id)).toEqual({
      ...record,
      data: { cart: ['a'], step: 2 },
      version: 2,
    })
    expect((await second.listByUser('persisted')).map((r) => r.id)).toEqual([record.id])
    await second.close()
  })

  it('shares the app database: the app keeps its tables, and close() leaves the connection open', async () => {
    const db = new Database(tempFile('app.db'))
    db.exec(
      "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL); INSERT INTO users VALUES ('u1', 'a@example.com')",
    )
    db.defaultSafeIntegers(true) // an app setting the store must not trip over
    const store = sqliteStore({ database: db })
    const record = testRecord({ userId: 'u1' })
    await store.create(record, { ttl: HOUR })
    expect(await store.get(record.id)).toEqual(record)
    const joined = db
      .prepare('SELECT u.email FROM users u JOIN hallpass_sessions s ON s.user_id = u.id')
      .pluck()
      .get()
    expect(joined).toBe('a@example.com')
    await store.close()
    expect(db.open).toBe(true)
    db.close()
  })
})

describe('sqliteStore purge', () => {
  it("the unref'd timer deletes expired rows and keeps live ones", async () => {
    let now = 1_000_000
    const store = sqliteStore<Database.Database>({
      database: ':memory:',
      clock: () => now,
      purgeIntervalMs: 5,
    })
    const count = (): unknown =>
      store.database.prepare('SELECT count(*) FROM hallpass_sessions').pluck().get()
    for (let i = 0; i < 20; i++) await store.create(testRecord(), { ttl: 1_000 })
    const live = testRecord()
    await store.create(live, { ttl: 10_000 })
    expect(count()).toBe(21)
    now += 2_000
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(count()).toBe(1)
    expect(await store.get(live.id)).not.toBeNull()
    await store.close()
  })

  it('purge() deletes expired rows now and reports how many', async () => {
    let now = 0
    const store = sqliteStore({ database: ':memory:', clock: () => now, purgeIntervalMs: 0 })
    await store.create(testRecord(), { ttl: 10 })
    await store.create(testRecord(), { ttl: 10 })
    await store.create(testRecord(), { ttl: 100 })
    now = 50
    expect(await store.purge()).toBe(2)
    expect(await store.purge()).toBe(0)
    await store.close()
  })

  it('an expired row is invisible before the purge runs', async () => {
    let now = 0
    const store = sqliteStore({ database: ':memory:', clock: () => now, purgeIntervalMs: 0 })
    const record = testRecord({ userId: 'late' })
    await store.create(record, { ttl: 10 })
    now = 10
    expect(await store.get(record.id)).toBeNull()
    expect(await store.listByUser('late')).toEqual([])
    expect(await store.revoke('late')).toEqual([])
    expect(await store.destroy(record.id)).toBe(false)
    await store.close()
  })
})

describe('sqliteStore outages', () => {
  it('a closed connection gives STORE_UNAVAILABLE, not a crash', async () => {
    const db = new Database(':memory:')
    const store = sqliteStore({ database: db })
    db.close()
    const record = testRecord()
    for (const call of [
      store.get(record.id),
      store.create(record, { ttl: HOUR }),
      store.patch(record.id, { set: {}, unset: [], ttl: HOUR }),
      store.destroy(record.id),
      store.listByUser('u'),
      store.revoke('u'),
      store.purge(),
    ]) {
      await expect(call).rejects.toMatchObject({ name: 'HallpassError', code: 'STORE_UNAVAILABLE' })
    }
    await store.close()
  })

  it('SQLITE_BUSY becomes STORE_UNAVAILABLE, reads keep working under WAL, and the store recovers', async () => {
    const file = tempFile()
    const store = sqliteStore({ database: new Database(file, { timeout: 0 }) })
    const existing = testRecord({ userId: 'busy' })
    await store.create(existing, { ttl: HOUR })
    const other = new Database(file)
    other.exec('BEGIN IMMEDIATE') // another process holds the write lock
    const err = await store.create(testRecord(), { ttl: HOUR }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', cause: { code: 'SQLITE_BUSY' } })
    await expect(
      store.patch(existing.id, { set: { a: 1 }, unset: [], ttl: HOUR }),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(await store.get(existing.id)).toEqual(existing)
    other.exec('ROLLBACK')
    expect(await store.patch(existing.id, { set: { a: 1 }, unset: [], ttl: HOUR })).toBe('ok')
    other.close()
    await store.close()
    store.database.close()
  })

  it('refuses data JSON cannot hold, or with a forbidden key, without writing', async () => {
    const store = sqliteStore({ database: ':memory:' })
    const record = testRecord({ data: { a: 1 } })
    await store.create(record, { ttl: HOUR })
    const poisoned = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>
    await expect(
      store.patch(record.id, { set: poisoned, unset: [], ttl: HOUR }),
    ).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' })
    await expect(
      store.patch(record.id, { set: { deep: poisoned }, unset: [], ttl: HOUR }),
    ).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' })
    await expect(
      store.patch(record.id, { set: { big: 1n }, unset: [], ttl: HOUR }),
    ).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' })
    await expect(store.create(testRecord({ data: poisoned }), { ttl: HOUR })).rejects.toMatchObject(
      { code: 'SESSION_DATA_INVALID' },
    )
    expect(await store.get(record.id)).toEqual(record)
    await store.close()
  })
})
