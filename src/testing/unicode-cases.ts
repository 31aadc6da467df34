// Store contract case for text: emoji (surrogate pairs) in user ids, roles, keys and values come back exactly (#23.5).
import { expect } from 'vitest'
import { HOUR, read, testRecord, type ContractCase } from './records.ts'

/**
 * Astral characters are two UTF-16 units in JavaScript and four bytes in UTF-8: a store must keep them exactly,
 * and keep two users apart whose ids differ only in one of them. (Ill-formed text, a lone surrogate, never reaches
 * a store: the manager refuses it at the call.)
 */
export function unicodeCases(run: ContractCase): void {
  const title =
    'keeps emoji exactly in user ids, roles, permissions, data keys and values; tells such users apart'
  run(title, async (t) => {
    const store = t.store
    const fox = '🦊 user 𝒳'
    const cat = '🐱 user 𝒳'
    const record = testRecord({
      userId: fox,
      data: { '🛒': [{ '𝒳': '🎂 Zoë' }], flag: '🏳️‍🌈', '👍🏽': 1 },
      roles: ['ädmin 🔑'],
      permissions: ['posts:✍️', '🗑️'],
    })
    const other = testRecord({ userId: cat, data: { '🛒': 'other' } })
    await store.create(record, { ttl: HOUR })
    await store.create(other, { ttl: HOUR })
    expect(await read(store, record.id)).toEqual(record)
    const party = { '😀': '😁' }
    expect(await store.patch(record.id, { set: { '🎉': party }, unset: ['👍🏽'], ttl: HOUR })).toBe(
      'ok',
    )
    const data = { '🛒': [{ '𝒳': '🎂 Zoë' }], flag: '🏳️‍🌈', '🎉': party }
    expect(await read(store, record.id)).toEqual({ ...record, data, version: 2 })
    expect((await store.listByUser(fox)).map((r) => [r.id, r.userId, r.data])).toEqual([
      [record.id, fox, data],
    ])
    expect(await store.revoke(fox)).toEqual([record.id])
    expect((await store.listByUser(cat)).map((r) => r.id)).toEqual([other.id])
  })
}
