// Store contract cases for data versions: kept as given, and never overwritten by data in an older shape.
import { expect } from 'vitest'
import { createSessions } from '../core/manager.ts'
import { isHallpassError } from '../errors.ts'
import { HOUR, read, testRecord, type ContractCase } from './records.ts'

const SECRET = 'contract-secret-0123456789-abcdefghijklmnop'

/**
 * A store that declares `keepsDataVersion` keeps `SessionRecord.dataVersion` and refuses a data patch written in an
 * older shape than the record's; one that does not is refused by `createSessions` for any `dataVersion` above 1.
 */
export function dataVersionCases(run: ContractCase): void {
  run('keeps the data version, or is refused for dataVersion above 1', async ({ store }) => {
    if (store.keepsDataVersion !== true) {
      let thrown: unknown
      try {
        createSessions({ secret: SECRET, store, dataVersion: 2, migrate: { 1: (d) => d } })
      } catch (err) {
        thrown = err
      }
      expect(isHallpassError(thrown, 'CONFIG_INVALID')).toBe(true)
      return
    }
    const plain = testRecord({ data: { a: 1 } })
    const marked = testRecord({ userId: 'dv-user', data: { b: 1 }, dataVersion: 3 })
    await store.create(plain, { ttl: HOUR })
    await store.create(marked, { ttl: HOUR })
    expect((await read(store, plain.id))?.dataVersion ?? 1).toBe(1)
    expect((await read(store, marked.id))?.dataVersion).toBe(3)
    expect((await store.listByUser('dv-user'))[0]?.dataVersion).toBe(3)
  })

  run(
    'refuses a data patch in an older shape and changes nothing; touches still apply',
    async ({ store }) => {
      if (store.keepsDataVersion !== true) return // the case above covers such a store
      const record = testRecord({ data: { displayName: 'Ann' }, dataVersion: 2 })
      await store.create(record, { ttl: HOUR })
      const older = { set: { name: 'Bob' }, unset: ['displayName'], ttl: HOUR, dataVersion: 1 }
      expect(await store.patch(record.id, older)).toBe('conflict')
      expect(await read(store, record.id)).toMatchObject({
        data: { displayName: 'Ann' },
        version: 1,
        dataVersion: 2,
      })
      const touch = { set: {}, unset: [], ttl: HOUR, lastSeenAt: record.lastSeenAt + 1_000 }
      expect(await store.patch(record.id, touch)).toBe('ok')
      const same = { set: { theme: 'dark' }, unset: [], ttl: HOUR, dataVersion: 2 }
      expect(await store.patch(record.id, same)).toBe('ok')
      expect(await read(store, record.id)).toMatchObject({
        data: { displayName: 'Ann', theme: 'dark' },
        lastSeenAt: record.lastSeenAt + 1_000,
        version: 3,
        dataVersion: 2,
      })
    },
  )

  run('only a compare-and-swap raises the data version of an older record', async ({ store }) => {
    if (store.keepsDataVersion !== true) return // the first case covers such a store
    const record = testRecord({ data: { name: 'Ann' } })
    await store.create(record, { ttl: HOUR })
    const same = { set: { a: 1 }, unset: [], ttl: HOUR, dataVersion: 1 }
    expect(await store.patch(record.id, same)).toBe('ok')
    expect((await read(store, record.id))?.dataVersion ?? 1).toBe(1)
    // Keys in the newer shape without the upgrade of the rest: refused, so the record never claims a shape it lacks.
    const partial = { set: { displayName: 'Ann' }, unset: [], ttl: HOUR, dataVersion: 2 }
    expect(await store.patch(record.id, partial)).toBe('conflict')
    expect(await read(store, record.id)).toMatchObject({ data: { name: 'Ann', a: 1 }, version: 2 })
    const upgrade = {
      set: { displayName: 'Ann' },
      unset: ['name'],
      ttl: HOUR,
      expectVersion: 2,
      dataVersion: 2,
    }
    expect(await store.patch(record.id, upgrade)).toBe('ok')
    expect(await read(store, record.id)).toMatchObject({
      data: { a: 1, displayName: 'Ann' },
      version: 3,
      dataVersion: 2,
    })
  })
}
