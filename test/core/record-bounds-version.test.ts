// The load path checks a memory-store record once per stored version, and every new version (even one written raw
// under the same id and version number) is checked again.
import { describe, expect, it } from 'vitest'
import { RecordBounds } from '../../src/core/record-bounds.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import type { SessionRecord } from '../../src/stores/types.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

/** Signs alice in on `store` and returns the manager, its events, the cookie and the stored record. */
async function signedIn(store: ReturnType<typeof memoryStore>) {
  const made = testSessions({ store, maxDataBytes: 100 })
  const session = await made.sessions.load()
  await session.login('alice', { roles: ['user'] })
  session.set('cart', ['book'])
  const cookie = cookiePair((await session.commit()).cookies[0])
  const record = (await store.get(session.id as string)) as SessionRecord
  return { ...made, cookie, record }
}

const rejected = (events: ReturnType<typeof testSessions>['events']) =>
  events.filter((e) => e.type === 'session.rejected' && e.reason === 'invalid_data')

describe('record bounds, once per stored version', () => {
  it('a version that passed is not checked again; a record from no marked version always is', async () => {
    const store = memoryStore()
    const { record } = await signedIn(store)
    const bounds = new RecordBounds(100)
    expect(bounds.problem(record)).toBeUndefined()
    // The same stored version, read again, is not checked again: even a copy changed in this process after the
    // store returned it (only hallpass's own code could do that) passes, since the check is about what is stored.
    const again = (await store.get(record.id)) as SessionRecord
    Object.assign(again, { version: -1 })
    expect(bounds.problem(again)).toBeUndefined()
    // A record no store marked (a copy, another store, a cookie) is checked every time.
    expect(bounds.problem({ ...again })).toBe('version')
    expect(bounds.problem({ ...record, roles: [''] })).toBe('roles')
  })

  it('a record written raw under the same id and version after a good load is refused', async () => {
    const store = memoryStore()
    const { sessions, events, cookie, record } = await signedIn(store)
    expect((await sessions.load({ cookie })).userId).toBe('alice') // the good version passed
    const hostile = { ...record, roles: ['admin\u0000'] } // same id, same version number
    await store.create(hostile, { ttl: 60_000 })
    const loaded = await sessions.load({ cookie })
    expect(loaded.userId).toBeNull()
    expect(rejected(events)).toHaveLength(1)
    expect(await store.get(record.id)).toBeNull() // discarded
  })

  it('a patch is a new version: data pushed over maxDataBytes behind the manager is refused', async () => {
    const store = memoryStore()
    const { sessions, events, cookie, record } = await signedIn(store)
    expect((await sessions.load({ cookie })).userId).toBe('alice')
    await store.patch(record.id, { set: { big: 'x'.repeat(200) }, unset: [], ttl: 60_000 })
    expect((await sessions.load({ cookie })).userId).toBeNull()
    expect(rejected(events)).toHaveLength(1)
  })
})
