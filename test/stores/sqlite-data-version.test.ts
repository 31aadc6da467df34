// SQLite tables from before data versions (#27.3): the store adds the data_version column when it opens one, the rows
// already there read as version 1, and a second store on the same file finds the column in place.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, expect, it } from 'vitest'
import { testRecord } from '../../src/testing/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import { COLUMNS } from '../../src/stores/sqlite/schema.ts'

const HOUR = 3_600_000
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A file holding a hallpass table as it was before data versions, with one session in it. */
function oldTable(): { file: string; id: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-sqlite-dv-'))
  dirs.push(dir)
  const file = join(dir, 'sessions.db')
  const db = new Database(file)
  const columns = COLUMNS.filter((column) => column !== 'data_version')
  db.exec(`CREATE TABLE hallpass_sessions (${columns.join(', ')})`)
  const record = testRecord({ userId: 'old-row', data: { name: 'Ann' } })
  db.prepare(
    `INSERT INTO hallpass_sessions (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  ).run(
    record.id,
    record.userId,
    JSON.stringify(record.data),
    record.createdAt,
    record.lastSeenAt,
    record.expiresAt,
    0,
    1,
    null,
    null,
    null,
    null,
    record.createdAt + HOUR,
    null,
  )
  db.close()
  return { file, id: record.id }
}

it('adds data_version to an older table; its rows are version 1 and take newer versions', async () => {
  const { file, id } = oldTable()
  const [a, b] = [sqliteStore({ database: file }), sqliteStore({ database: file })]
  try {
    const row = await a.get(id)
    expect(row).toMatchObject({ userId: 'old-row', data: { name: 'Ann' } })
    expect(row && row !== 'corrupt' && row.dataVersion).toBeUndefined()
    const upgrade = {
      set: { displayName: 'Ann' },
      unset: ['name'],
      ttl: HOUR,
      expectVersion: 1,
      dataVersion: 2,
    }
    expect(await b.patch(id, upgrade)).toBe('ok')
    expect(await a.get(id)).toMatchObject({ data: { displayName: 'Ann' }, dataVersion: 2 })
    expect(await a.patch(id, { set: { name: 'Bo' }, unset: [], ttl: HOUR, dataVersion: 1 })).toBe(
      'conflict',
    )
  } finally {
    await a.close()
    await b.close()
  }
  const db = new Database(file, { readonly: true })
  expect(db.prepare('SELECT data_version FROM hallpass_sessions').pluck().all()).toEqual([2])
  db.close()
})
