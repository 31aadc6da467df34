// #23.5 through the manager: ill-formed Unicode is refused at the call, before any store write; emoji round-trip.
import { describe, expect, it } from 'vitest'
import type { Sessions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import type { SessionRecord } from '../../src/stores/types.ts'
import { testClock } from '../support/clock.ts'
import { countingStore, type StoreCalls } from '../support/counting-store.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'
import { storeMatrix, type StoreFactory } from '../support/store-matrix.ts'

const STORES = storeMatrix()

/** A manager on the store, its call counts, and a signed-in cookie made before counting starts. */
async function signedIn(factory: StoreFactory, userId: string) {
  const clock = testClock()
  const counted = countingStore(factory(clock).store)
  const { sessions } = testSessions({ store: counted.store, clock })
  const session = await sessions.load()
  await session.login(userId, { roles: ['user'] })
  session.set('cart', ['book'])
  const cookie = cookiePair((await session.commit()).cookies[0])
  return { sessions, calls: counted.calls, cookie }
}

/** Calls that write (or delete) anything in the store. */
function writes(calls: StoreCalls): number {
  return calls.create + calls.patch + calls.destroy + calls.revoke
}

const LONE = ['u\uD800', 'u\uDC00', '\uDFFFu', 'a\uD83D'] // high, low, leading low, half an emoji

describe.each(Object.entries(STORES))(
  'ill-formed Unicode never reaches the store (%s)',
  (_name, factory) => {
    it('login, roles, permissions, set, update, listSessions and revoking refuse it, writing nothing', async () => {
      const { sessions, calls, cookie } = await signedIn(factory, 'alice')
      const before = { writes: writes(calls), lists: calls.listByUser }
      const session = await sessions.load({ cookie })
      for (const text of LONE) {
        await expect(session.login(text)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
        await expect(session.login('bob', { roles: [text] })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        })
        await expect(session.login('bob', { permissions: [text] })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        })
        await expect(session.regenerate({ roles: ['admin', text] })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        })
        expect(() => session.set(`key${text}`, 1)).toThrow(
          expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
        )
        expect(() => session.set('key', text)).toThrow(
          expect.objectContaining({ code: 'SESSION_DATA_INVALID' }),
        )
        const nested = { list: [{ [text]: 1 }] }
        expect(() => session.set('key', nested)).toThrow(
          expect.objectContaining({ code: 'SESSION_DATA_INVALID' }),
        )
        const badKey = session.update((d) => void (d[`key${text}`] = 1))
        await expect(badKey).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' })
        const badValue = session.update((d) => void (d.cart = ['book', text]))
        await expect(badValue).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' })
        await expect(sessions.listSessions(text)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        })
        await expect(sessions.revokeUserSessions(text)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        })
        const revokeOne = sessions.revokeSession(text, session.id as string)
        await expect(revokeOne).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      }
      expect((await session.commit()).cookies).toEqual([])
      expect({ writes: writes(calls), lists: calls.listByUser }).toEqual(before)
      const after = await sessions.load({ cookie })
      expect([after.userId, after.roles, after.data]).toEqual([
        'alice',
        ['user'],
        { cart: ['book'] },
      ])
    })

    it('a lone surrogate cannot stand for another user: "u\\uD800" neither lists nor revokes "u\\uFFFD"', async () => {
      // In UTF-8 (SQLite, Redis) 'u\uD800' was stored and looked up as 'u\uFFFD', a well-formed id of its own.
      const { sessions, cookie } = await signedIn(factory, 'u\uFFFD')
      await expect(sessions.revokeUserSessions('u\uD800')).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
      await expect(sessions.listSessions('u\uD800')).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
      expect((await sessions.load({ cookie })).userId).toBe('u\uFFFD')
      expect((await sessions.listSessions('u\uFFFD')).map((s) => s.userId)).toEqual(['u\uFFFD'])
    })

    it('emoji round-trip exactly: user id, roles, permissions, data keys and values', async () => {
      const fox = '🦊 𝒳'
      const clock = testClock()
      const { sessions } = testSessions({ store: factory(clock).store, clock })
      const session = await sessions.load()
      await session.login(fox, { roles: ['ädmin 🔑'], permissions: ['posts:✍️'] })
      session.set('🛒', [{ '𝒳': '🎂', flag: '🏳️‍🌈' }])
      const cookie = cookiePair((await session.commit()).cookies[0])
      await update(sessions, cookie)
      const loaded = await sessions.load({ cookie })
      expect([loaded.userId, loaded.roles, loaded.permissions]).toEqual([
        fox,
        ['ädmin 🔑'],
        ['posts:✍️'],
      ])
      expect(loaded.data).toEqual({ '🛒': [{ '𝒳': '🎂', flag: '🏳️‍🌈' }], '👍🏽': '😀' })
      expect((await sessions.listSessions(fox)).map((s) => s.userId)).toEqual([fox])
      expect(await sessions.listSessions('🦊 𝒴')).toEqual([])
      expect(await sessions.revokeUserSessions(fox)).toBe(1)
      expect((await sessions.load({ cookie })).userId).toBeNull()
    })
  },
)

describe('the load path refuses what the write path refuses', () => {
  // Only the memory store keeps JavaScript strings as they are, so only there can a record hold a lone surrogate.
  const edits: [string, (r: SessionRecord) => SessionRecord][] = [
    ['user id', (r) => ({ ...r, userId: 'alice\uD800' })],
    ['role', (r) => ({ ...r, roles: ['user\uDC00'] })],
    ['permission', (r) => ({ ...r, permissions: ['\uD83D'] })],
    ['data key', (r) => ({ ...r, data: { ...r.data, ['k\uD800']: 1 } })],
    ['data string', (r) => ({ ...r, data: { cart: ['book\uDFFF'] } })],
  ]
  it.each(edits)(
    'a stored record with a lone surrogate in its %s is refused on load',
    async (_field, edit) => {
      const clock = testClock()
      const store = memoryStore({ clock })
      const { sessions, cookie } = await signedIn(
        () => ({ store, advance: async () => undefined }),
        'alice',
      )
      const id = (await sessions.load({ cookie })).id as string
      const record = (await store.get(id)) as SessionRecord
      await store.create(edit(record), { ttl: 60_000 })
      const loaded = await sessions.load({ cookie })
      expect(loaded.userId).toBeNull()
      expect(await store.get(id)).toBeNull()
    },
  )
})

/** A second request that changes the data through update() (the compare-and-swap path). */
async function update(sessions: Sessions, cookie: string): Promise<void> {
  const session = await sessions.load({ cookie })
  await session.update((d) => void (d['👍🏽'] = '😀'))
  await session.commit()
}
