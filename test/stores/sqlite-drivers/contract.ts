// The SQLite store on one driver: the shared Store contract plus what the store promises about the app's connection.
// Runs under vitest (Node) and under `bun test` (which serves the `vitest` import from bun:test).
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isHallpassError } from '../../../src/errors.ts'
import { testRecord, testStore } from '../../../src/testing/index.ts'
import { sqliteStore, type SqliteDatabase } from '../../../src/stores/sqlite.ts'
import { driverFor, type SqliteDriver } from '../../../src/stores/sqlite/driver.ts'

const HOUR = 3_600_000

/** How to open a database with the driver under test. */
export interface DriverUnderTest {
  /** 'better-sqlite3', 'bun:sqlite' or 'node:sqlite'. */
  readonly kind: string
  /** Opens `file` (or ':memory:'); `bigInts` turns on the driver's own 64-bit integer mode for the whole connection. */
  open(file: string, options?: { readonly?: boolean; bigInts?: boolean }): SqliteDatabase
}

/** Registers the contract and the connection cases for one driver; every case title starts with the driver's kind. */
export function sqliteDriverContract(driver: DriverUnderTest): void {
  const dirs: string[] = []
  /** A fresh file in a temp directory, removed after the test. */
  const tempFile = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'hallpass-sqlite-driver-'))
    dirs.push(dir)
    return join(dir, 'sessions.db')
  }
  /** The driver wrapper, to run plain SQL on a connection in the test. */
  const sql = (db: SqliteDatabase): SqliteDriver => {
    const wrapped = driverFor(db)
    if (wrapped === undefined) throw new Error(`${driver.kind}: no driver for the test's database`)
    return wrapped
  }
  const opened: SqliteDatabase[] = []
  const open: DriverUnderTest['open'] = (file, options) => {
    const db = driver.open(file, options)
    opened.push(db)
    return db
  }

  describe(driver.kind, () => {
    afterEach(() => {
      for (const db of opened.splice(0)) {
        try {
          sql(db).close()
        } catch {
          // closed by the test
        }
      }
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
    })

    testStore('sqlite, the app’s database in memory, injected clock', () => {
      let now = Date.now()
      const store = sqliteStore({ database: open(':memory:'), clock: () => now })
      return { store, advance: (ms) => void (now += ms), cleanup: () => store.close() }
    })

    testStore('sqlite, the app’s file in WAL mode, injected clock', () => {
      let now = Date.now()
      const store = sqliteStore({ database: open(tempFile()), clock: () => now })
      return { store, advance: (ms) => void (now += ms), cleanup: () => store.close() }
    })

    describe('the app’s connection', () => {
      it('is detected as this driver, switched to WAL, and left open by close()', async () => {
        const db = open(tempFile())
        const store = sqliteStore({ database: db })
        expect(sql(db).kind).toBe(driver.kind)
        expect(store.database).toBe(db)
        const mode = sql(db).prepare<[], { journal_mode: string }>('PRAGMA journal_mode').get()
        expect(mode?.journal_mode).toBe('wal')
        const record = testRecord({ userId: 'u1' })
        await store.create(record, { ttl: HOUR })
        await store.close()
        const row = sql(db)
          .prepare<[string], { user_id: string }>(
            'SELECT user_id FROM hallpass_sessions WHERE id = ?',
          )
          .get(record.id)
        expect(row?.user_id).toBe('u1')
      })

      it('reads integers as numbers when the app turned on the driver’s 64-bit integer mode', async () => {
        const store = sqliteStore({ database: open(':memory:', { bigInts: true }) })
        const record = testRecord({ userId: 'big', data: { n: 1 } })
        await store.create(record, { ttl: HOUR })
        expect(await store.patch(record.id, { set: { n: 2 }, unset: [], ttl: HOUR })).toBe('ok')
        expect(await store.get(record.id)).toEqual({ ...record, data: { n: 2 }, version: 2 })
        expect(await store.stats?.(HOUR)).toMatchObject({ sessions: 1, users: 1, maxPerUser: 1 })
      })

      it('is refused when closed or read-only, with CONFIG_INVALID', () => {
        const closed = open(':memory:')
        sql(closed).close()
        expect(codeOf(() => sqliteStore({ database: closed }))).toBe('CONFIG_INVALID')
        const file = tempFile()
        sqliteStore({ database: open(file) }) // creates the table
        const readonly = open(file, { readonly: true })
        expect(codeOf(() => sqliteStore({ database: readonly }))).toBe('CONFIG_INVALID')
        const empty = tempFile()
        open(empty).close()
        expect(codeOf(() => sqliteStore({ database: open(empty, { readonly: true }) }))).toBe(
          'CONFIG_INVALID',
        )
      })
    })

    describe('transactions', () => {
      it('every write holds the write lock from its first statement (BEGIN IMMEDIATE)', async () => {
        const file = tempFile()
        const other = sql(open(file))
        let probing = false
        const seen: string[] = []
        const clock = (): number => {
          // Called inside the store's transaction: another connection must not get the write lock now.
          if (probing) seen.push(tryWriteLock(other))
          return Date.now()
        }
        const store = sqliteStore({ database: open(file), clock })
        other.exec('PRAGMA busy_timeout = 0')
        const record = testRecord({ userId: 'locked' })
        const inTransaction = async (write: () => Promise<unknown>): Promise<void> => {
          probing = true
          const pending = write() // the store's work is synchronous: it has run when this returns
          probing = false
          await pending
        }
        await inTransaction(() => store.create(record, { ttl: HOUR }))
        await inTransaction(() => store.patch(record.id, { set: { a: 1 }, unset: [], ttl: HOUR }))
        await inTransaction(() => store.revoke('locked'))
        expect(seen.length).toBeGreaterThanOrEqual(3)
        expect(seen.every((result) => result === 'busy')).toBe(true)
        expect(tryWriteLock(other)).toBe('locked') // and released afterwards
      })

      it('a write that fails halfway changes nothing (the replaced session is still there)', async () => {
        const store = sqliteStore({ database: open(':memory:') })
        const old = testRecord({ userId: 'u' })
        await store.create(old, { ttl: HOUR })
        const fresh = testRecord({ userId: 'u', data: { big: 1n } })
        await expect(
          store.create(fresh, { ttl: HOUR, replaces: old.id, tombstone: 1_000 }),
        ).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' })
        expect(await store.get(old.id)).toEqual(old)
        expect((await store.listByUser('u')).map((r) => r.id)).toEqual([old.id])
      })

      it('runs inside a transaction the app holds, as a savepoint', async () => {
        const db = open(':memory:')
        const store = sqliteStore({ database: db })
        const record = testRecord()
        sql(db).exec('BEGIN')
        const pending = store.create(record, { ttl: HOUR })
        sql(db).exec('ROLLBACK')
        await pending
        expect(await store.get(record.id)).toBeNull()
      })

      it('SQLITE_BUSY becomes STORE_UNAVAILABLE, reads go on under WAL, and the store recovers', async () => {
        const file = tempFile()
        const db = open(file)
        sql(db).exec('PRAGMA busy_timeout = 0')
        const store = sqliteStore({ database: db })
        const existing = testRecord({ userId: 'busy' })
        await store.create(existing, { ttl: HOUR })
        const other = sql(open(file))
        other.exec('BEGIN IMMEDIATE')
        await expect(store.create(testRecord(), { ttl: HOUR })).rejects.toMatchObject({
          code: 'STORE_UNAVAILABLE',
        })
        await expect(
          store.patch(existing.id, { set: { a: 1 }, unset: [], ttl: HOUR }),
        ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
        expect(await store.get(existing.id)).toEqual(existing)
        other.exec('ROLLBACK')
        expect(await store.patch(existing.id, { set: { a: 1 }, unset: [], ttl: HOUR })).toBe('ok')
      })
    })

    it('a file name is opened with the runtime’s driver, and closed by close()', async () => {
      const store = sqliteStore({ database: tempFile() })
      expect(sql(store.database).kind).toBe(driver.kind)
      const record = testRecord()
      await store.create(record, { ttl: HOUR })
      expect(await store.get(record.id)).toEqual(record)
      await store.close()
      await expect(store.get(record.id)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    })

    if (driver.kind !== 'better-sqlite3') {
      it('never loads better-sqlite3 (in the node:sqlite run it cannot even be resolved)', () => {
        const require = createRequire(import.meta.url)
        const loaded = Object.keys(require.cache).filter((path) => path.includes('better-sqlite3'))
        expect(loaded).toEqual([])
        if (driver.kind === 'node:sqlite') expect(() => require('better-sqlite3')).toThrow()
      })
    }
  })
}

/** 'busy' when another connection holds the write lock, 'locked' when this one could take it (and let it go). */
function tryWriteLock(db: SqliteDriver): string {
  try {
    db.exec('BEGIN IMMEDIATE')
  } catch {
    return 'busy'
  }
  db.exec('ROLLBACK')
  return 'locked'
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return isHallpassError(err) ? err.code : `not a HallpassError: ${String(err)}`
  }
  return undefined
}
