// Session data versions on PostgreSQL (#27.3): kept in the data_version column, upgraded on load and written back,
// judged on the row as a concurrent upgrade left it, and a table created without the column refused with the fix.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createSessions } from '../../src/index.ts'
import { withSession } from '../../src/adapters/node.ts'
import { migratePostgres, postgresStore } from '../../src/stores/postgres/index.ts'
import type { SessionData } from '../../src/stores/types.ts'
import { testRecord } from '../../src/testing/index.ts'
import {
  freshStore,
  POSTGRES_DRIVERS,
  uniqueTable,
  useLockingPostgres,
} from '../support/postgres.ts'
import { cookiePair, TEST_SECRET, testSessions } from '../support/sessions.ts'

const HOUR = 3_600_000
const db = useLockingPostgres()

/** The row as stored: data and data_version (NULL for 1). */
async function row(
  table: string,
  id: string,
): Promise<{ data: SessionData; data_version: number | null; version: string }> {
  const { rows } = await db.admin.query(
    `SELECT data, data_version, version::text AS version FROM "${table}" WHERE id = $1`,
    [id],
  )
  return rows[0]
}

/** Version 1 keeps `name`; version 2 renamed it to `displayName`. */
const toV2 = ({ name, ...rest }: SessionData): SessionData => ({
  ...rest,
  ...(typeof name === 'string' && { displayName: name }),
})

describe('data versions on Postgres', () => {
  it('createSessions takes dataVersion 2; old data is upgraded on load, written back, and hidden from the old deploy', async () => {
    const { store, table } = await freshStore(db.pool)
    expect(store.keepsDataVersion).toBe(true) // so testStore runs its data-version cases on Postgres
    const { sessions: old, clock } = testSessions({ store })
    const fresh = createSessions({
      secret: TEST_SECRET,
      clock,
      store,
      cookie: { secure: false },
      dataVersion: 2,
      migrate: { 1: toV2 },
    })
    const first = await old.load()
    await first.login('ann')
    first.set('name', 'Ann')
    const cookie = cookiePair((await first.commit()).cookies[0])
    const id = (await old.load({ cookie })).id as string
    expect(await row(table, id)).toMatchObject({ data: { name: 'Ann' }, data_version: null })

    const upgraded = await fresh.load({ cookie })
    expect(upgraded.userId).toBe('ann')
    expect(upgraded.get('displayName')).toBe('Ann')
    upgraded.set('theme', 'dark')
    await upgraded.commit()
    expect(await row(table, id)).toEqual({
      data: { displayName: 'Ann', theme: 'dark' },
      data_version: 2,
      version: '3',
    })

    const behind = await old.load({ cookie })
    expect(behind.userId).toBe('ann') // still signed in on the old deploy
    expect(behind.isDataNewer).toBe(true)
    expect(behind.get('name')).toBeUndefined()
  })

  it('reads a data_version it never writes (0, or beyond an integer) as corrupt and deletes the row', async () => {
    const { store, table } = await freshStore(db.pool)
    const record = testRecord({ data: { a: 1 } })
    await store.create(record, { ttl: HOUR })
    await db.admin.query(`UPDATE "${table}" SET data_version = 0 WHERE id = $1`, [record.id])
    expect(await store.get(record.id)).toBe('corrupt')
    expect(await store.get(record.id)).toBeNull()
    await expect(
      store.create(testRecord({ dataVersion: 2 ** 31 }), { ttl: HOUR }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})

describe.each(POSTGRES_DRIVERS)('a data patch racing an upgrade (%s)', (name) => {
  const client = () => db.driver(name)

  it('an old-shape write held up behind a newer deploy’s upgrade is refused, not lost as missing, and writes nothing', async () => {
    const { store, table } = await freshStore(client())
    const record = testRecord({ data: { name: 'Ann' } })
    await store.create(record, { ttl: HOUR })
    // The newer deploy's compare-and-swap upgrade, not committed yet.
    await db.lock(
      `UPDATE "${table}" SET data = '{"displayName":"Ann"}', data_version = 2, version = 2 WHERE id = $1`,
      [record.id],
    )
    const write = store.patch(record.id, {
      set: { name: 'Bo' },
      unset: [],
      ttl: HOUR,
      dataVersion: 1,
    })
    await db.lockWaiters(1)
    await db.commit()
    // The row this process loaded was at version 1: judged on it, the write would be 'missing' (signed out) or 'ok'.
    expect(await write).toBe('conflict')
    expect(await row(table, record.id)).toEqual({
      data: { displayName: 'Ann' },
      data_version: 2,
      version: '2',
    })
  })

  it('an upgrade held up behind an old-shape write loses its compare-and-swap and writes nothing', async () => {
    const { store, table } = await freshStore(client())
    const record = testRecord({ data: { name: 'Ann' } })
    await store.create(record, { ttl: HOUR })
    await db.lock(`UPDATE "${table}" SET data = '{"name":"Bo"}', version = 2 WHERE id = $1`, [
      record.id,
    ])
    const upgrade = store.patch(record.id, {
      set: { displayName: 'Ann' },
      unset: ['name'],
      ttl: HOUR,
      expectVersion: 1,
      dataVersion: 2,
    })
    await db.lockWaiters(1)
    await db.commit()
    expect(await upgrade).toBe('conflict')
    expect(await row(table, record.id)).toEqual({
      data: { name: 'Bo' },
      data_version: null,
      version: '2',
    })
  })
})

/** The SQL an error message gives between backticks. */
function quotedSql(message: string): string {
  const sql = /`(ALTER TABLE [^`]+)`/.exec(message)?.[1]
  if (sql === undefined) throw new Error(`no ALTER TABLE in: ${message}`)
  return sql
}

describe('a table created without the data_version column', () => {
  /** A migrated table with the column dropped: the CREATE TABLE from before data versions, with one row in it. */
  async function oldTable(): Promise<{ table: string; id: string }> {
    const table = uniqueTable('nodv')
    await migratePostgres({ client: db.pool, table })
    await db.admin.query(`ALTER TABLE "${table}" DROP COLUMN data_version`)
    const record = testRecord({ userId: 'old-row', data: { name: 'Ann' } })
    await db.admin.query(
      `INSERT INTO "${table}" (id, user_id, data, created_at, last_seen_at, expires_at, drop_at, persistent, version)
       VALUES ($1, $2, $3, $4, $4, $5, $5, false, 1)`,
      [record.id, record.userId, JSON.stringify(record.data), record.createdAt, Date.now() + HOUR],
    )
    return { table, id: record.id }
  }

  it('is refused with STORE_UNAVAILABLE naming the SQL that adds it (503, never 500), and works once it is added', async () => {
    const { table, id } = await oldTable()
    const store = postgresStore({ client: db.pool, table, purgeIntervalMs: 0 })
    for (const call of [
      () => store.get(id),
      () => store.ping(),
      () => store.create(testRecord(), { ttl: HOUR }),
      () => store.patch(id, { set: { name: 'Bo' }, unset: [], ttl: HOUR, dataVersion: 1 }),
    ]) {
      const refusal = call()
      await expect(refusal).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
      await expect(refusal).rejects.toThrow(
        `ALTER TABLE "public"."${table}" ADD COLUMN data_version integer`,
      )
    }
    // The migration cannot add it (the table is at schema version 1): it says the same.
    const migrating = migratePostgres({ client: db.pool, table })
    await expect(migrating).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    await expect(migrating).rejects.toThrow('ADD COLUMN data_version integer')

    // Through the front door: a request that writes a session is answered 503.
    const sessions = createSessions({ secret: TEST_SECRET, store, cookie: { secure: false } })
    const server: Server = createServer(
      withSession(sessions, async (_req, session) => {
        session.set('visited', true)
        return { body: 'ok' }
      }),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(503)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    const { rows } = await db.admin.query(`SELECT id, data FROM "${table}"`)
    expect(rows).toEqual([{ id, data: { name: 'Ann' } }]) // nothing written, nothing deleted

    // The fix from the message; the same store, no restart. The old row reads as data version 1.
    let message = ''
    await store.get(id).catch((err: Error) => void (message = err.message))
    await db.admin.query(quotedSql(message))
    expect(await store.get(id)).toMatchObject({ userId: 'old-row', data: { name: 'Ann' } })
    expect(await store.get(id)).not.toHaveProperty('dataVersion')
    const upgrade = {
      set: { displayName: 'Ann' },
      unset: ['name'],
      ttl: HOUR,
      expectVersion: 1,
      dataVersion: 2,
    }
    expect(await store.patch(id, upgrade)).toBe('ok')
    expect(await row(table, id)).toMatchObject({ data: { displayName: 'Ann' }, data_version: 2 })
    expect(await migratePostgres({ client: db.pool, table })).toEqual({ from: 1, to: 1 })
  })

  it('dropped while the store runs: the store fails closed and then names the fix', async () => {
    for (const client of [db.pool, db.sql]) {
      const { store, table } = await freshStore(client)
      const record = testRecord({ data: { a: 1 } })
      await store.create(record, { ttl: HOUR })
      expect(await store.get(record.id)).toEqual(record)
      await db.admin.query(`ALTER TABLE "${table}" DROP COLUMN data_version`)
      await expect(store.get(record.id)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
      await expect(store.get(record.id)).rejects.toThrow('ADD COLUMN data_version integer')
      await db.admin.query(`ALTER TABLE "${table}" ADD COLUMN data_version integer`)
      expect(await store.get(record.id)).toEqual(record)
    }
  })
})
