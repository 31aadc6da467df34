// Memory store bounds as the attack: anonymous records can never push out a signed-in session or its tombstone.
import { describe, expect, it } from 'vitest'
import { HallpassError } from '../../src/errors.ts'
import { testRecord } from '../../src/testing/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { testClock } from '../support/clock.ts'

const TTL = 60_000
const anonymous = () => testRecord()
const signedIn = (userId: string) => testRecord({ userId })

describe('memoryStore bounds', () => {
  it('a flood of anonymous records never evicts a signed-in one, however long it has been idle', async () => {
    const store = memoryStore({ maxSessions: 10 })
    const alice = signedIn('alice')
    await store.create(alice, { ttl: TTL })
    for (let i = 0; i < 1_000; i++)
      expect((await store.create(anonymous(), { ttl: TTL })).displaced ?? []).toEqual([])
    expect(await store.get(alice.id)).toMatchObject({ userId: 'alice' })
    expect(store.size).toBe(10)
    await store.close()
  })

  it('with the default bound, 100,050 anonymous records never evict a signed-in one', async () => {
    const store = memoryStore()
    const alice = signedIn('alice')
    await store.create(alice, { ttl: TTL })
    const guest = anonymous()
    for (let i = 0; i < 100_050; i++)
      await store.create({ ...guest, id: `guest-${i}` }, { ttl: TTL })
    expect(store.size).toBe(100_000)
    expect(await store.get(alice.id)).toMatchObject({ userId: 'alice' })
    await store.close()
  }, 30_000)

  // A late request with the old cookie must find the tombstone, or it would clear the new cookie.
  it("keeps a login's tombstone through an anonymous flood", async () => {
    const store = memoryStore({ maxSessions: 10 })
    const before = anonymous()
    await store.create(before, { ttl: TTL })
    const after = signedIn('alice')
    await store.create(after, { ttl: TTL, replaces: before.id, tombstone: 300_000 })
    for (let i = 0; i < 100; i++) await store.create(anonymous(), { ttl: TTL })
    expect(await store.get(before.id)).toMatchObject({ version: 0, userId: null })
    expect(await store.patch(before.id, { set: { late: 1 }, unset: [], ttl: TTL })).toBe('missing')
    await store.close()
  })

  // Each login or regenerate leaves a tombstone, which maxPerUser does not count: one account signing in again and
  // again must not fill the store with them and push out another user's session.
  it("one account's rotations (tombstones) never evict another user's session, whatever its cap", async () => {
    const store = memoryStore({ maxSessions: 10 })
    const alice = signedIn('alice')
    await store.create(alice, { ttl: TTL })
    let current = signedIn('mallory')
    await store.create(current, { ttl: TTL, maxPerUser: 1 })
    for (let i = 0; i < 100; i++) {
      const next = signedIn('mallory')
      const options = { ttl: TTL, maxPerUser: 1, replaces: current.id, tombstone: 300_000 }
      expect((await store.create(next, options)).displaced ?? []).toEqual([])
      current = next
    }
    expect(await store.get(alice.id)).toMatchObject({ userId: 'alice' })
    expect(await store.get(current.id)).toMatchObject({ userId: 'mallory' })
    expect(store.size).toBe(10)
    await store.close()
  })

  it('bounds anonymous records on their own: the least recently written anonymous one goes first', async () => {
    const store = memoryStore({ maxSessions: 10, maxAnonymousSessions: 3 })
    const alice = signedIn('alice')
    await store.create(alice, { ttl: TTL })
    const guests = [1, 2, 3, 4, 5].map(anonymous)
    for (const guest of guests.slice(0, 3)) await store.create(guest, { ttl: TTL })
    await store.patch(guests[0]!.id, { set: { cart: [1] }, unset: [], ttl: TTL })
    for (const guest of guests.slice(3)) await store.create(guest, { ttl: TTL })
    const kept = await Promise.all(
      guests.map(async (guest) => (await store.get(guest.id)) !== null),
    )
    expect(kept).toEqual([true, false, false, true, true])
    expect(await store.get(alice.id)).not.toBeNull()
    expect(store.size).toBe(4)
    await store.close()
  })

  it('full of signed-in sessions, refuses a new anonymous one with STORE_UNAVAILABLE and changes nothing', async () => {
    const store = memoryStore({ maxSessions: 3 })
    const users = ['alice', 'bob', 'carol'].map(signedIn)
    for (const user of users) await store.create(user, { ttl: TTL })
    const refused = await store.create(anonymous(), { ttl: TTL }).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(HallpassError)
    expect(refused).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/maxSessions/),
    })
    for (const user of users) expect(await store.get(user.id)).not.toBeNull()
    expect(store.size).toBe(3)
    await store.close()
  })

  it('full of signed-in sessions, reclaims an expired one for an anonymous record instead of refusing', async () => {
    const clock = testClock()
    const store = memoryStore({ maxSessions: 3, clock })
    await store.create(signedIn('alice'), { ttl: 1_000 })
    for (const userId of ['bob', 'carol']) await store.create(signedIn(userId), { ttl: TTL })
    clock.advance(2_000)
    const guest = anonymous()
    await store.create(guest, { ttl: TTL })
    expect(await store.get(guest.id)).not.toBeNull()
    await store.close()
  })

  it('a login takes room from anonymous records first, even when the signed-in session is older', async () => {
    const store = memoryStore({ maxSessions: 3 })
    const alice = signedIn('alice')
    await store.create(alice, { ttl: TTL })
    const guests = [anonymous(), anonymous()]
    for (const guest of guests) await store.create(guest, { ttl: TTL })
    const bob = signedIn('bob')
    expect((await store.create(bob, { ttl: TTL })).displaced).toEqual([])
    expect(await store.get(alice.id)).not.toBeNull()
    expect(await store.get(guests[0]!.id)).toBeNull()
    expect(await store.get(guests[1]!.id)).not.toBeNull()
    await store.close()
  })

  it('a login into a store full of signed-in sessions evicts the least recently written, naming its user', async () => {
    const store = memoryStore({ maxSessions: 3 })
    const [alice, bob, carol] = [signedIn('alice'), signedIn('bob'), signedIn('carol')]
    for (const user of [alice, bob, carol]) await store.create(user, { ttl: TTL })
    await store.patch(alice.id, { set: {}, unset: [], lastSeenAt: Date.now(), ttl: TTL })
    const { displaced } = await store.create(signedIn('dave'), { ttl: TTL })
    expect(displaced).toEqual([{ id: bob.id, userId: 'bob' }])
    expect(await store.get(bob.id)).toBeNull()
    expect(await store.get(alice.id)).not.toBeNull()
    await store.close()
  })

  it('maxPerUser counts only live sessions: an expired one is dropped, not reported as evicted', async () => {
    const clock = testClock()
    const store = memoryStore({ clock })
    const old = signedIn('alice')
    await store.create(old, { ttl: 1_000 })
    clock.advance(2_000)
    expect((await store.create(signedIn('alice'), { ttl: TTL, maxPerUser: 1 })).evicted).toEqual([])
    await store.close()
  })

  it('refuses maxAnonymousSessions above maxSessions or below 1 at construction', () => {
    const tooMany = () => memoryStore({ maxSessions: 10, maxAnonymousSessions: 11 })
    expect(tooMany).toThrow(/maxAnonymousSessions.*maxSessions \(10\)/)
    expect(() => memoryStore({ maxAnonymousSessions: 0 })).toThrow(/maxAnonymousSessions/)
    expect(() => memoryStore({ maxAnonymousSessions: 1.5 })).toThrow(/maxAnonymousSessions/)
  })
})
