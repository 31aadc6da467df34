// A new session has its id from its first write, before the commit, and it is the id the store then holds; an empty one stays id-less and unwritten.
import { describe, expect, it } from 'vitest'
import { sealedCookies } from '../../src/sealed/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { countingStore } from '../support/counting-store.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

describe('a new session id before the first commit', () => {
  it('set() gives a new session its id at once; the commit stores the session under that id and the cookie carries it', async () => {
    const counted = countingStore(memoryStore())
    const { sessions } = testSessions({ store: counted.store })
    const session = await sessions.load()
    session.set('cart', ['book'])
    const id = session.id
    expect(id).not.toBeNull()
    expect(session.isNew).toBe(true)
    expect(counted.calls.create).toBe(0) // known now, written at commit
    const [cookie] = (await session.commit()).cookies
    expect(session.id).toBe(id)
    const stored = await counted.store.get(id as string)
    expect(stored).toMatchObject({ id, userId: null, data: { cart: ['book'] } })
    expect((await sessions.load({ cookie: cookiePair(cookie) })).id).toBe(id)
  })

  it('update() on a new session gives it its id the same way', async () => {
    const store = memoryStore()
    const { sessions } = testSessions({ store })
    const session = await sessions.load()
    await session.update((draft) => void (draft.n = 1))
    const id = session.id
    expect(id).not.toBeNull()
    await session.commit()
    expect(await store.get(id as string)).toMatchObject({ id, data: { n: 1 } })
  })

  it('reading id on an untouched anonymous session writes nothing and sends no cookie', async () => {
    const counted = countingStore(memoryStore())
    const { sessions, events } = testSessions({ store: counted.store })
    const session = await sessions.load()
    expect(session.id).toBeNull()
    expect(session.id).toBeNull()
    expect((await session.commit()).cookies).toEqual([])
    expect(counted.calls).toMatchObject({ create: 0, patch: 0 })
    expect(events).toEqual([])
  })

  it('login after set() replaces the id given at set(); logout of a session never stored emits no logout for it', async () => {
    const store = memoryStore()
    const { sessions, events } = testSessions({ store })
    const session = await sessions.load()
    session.set('cart', ['book'])
    const early = session.id
    expect(early).not.toBeNull()
    await session.login('alice')
    expect(session.id).not.toBe(early)
    expect(await store.get(early as string)).toBeNull()
    const other = await sessions.load()
    other.set('k', 'v')
    expect(other.id).not.toBeNull()
    await other.logout()
    expect(other.id).toBeNull()
    expect(events.filter((e) => e.type === 'logout')).toEqual([])
  })

  it('sealed cookies: the id given at set() is the one the cookie carries', async () => {
    const { sessions } = testSessions({ store: sealedCookies() })
    const session = await sessions.load()
    session.set('theme', 'dark')
    const id = session.id
    expect(id).not.toBeNull()
    const [cookie] = (await session.commit()).cookies
    expect((await sessions.load({ cookie: cookiePair(cookie) })).id).toBe(id)
  })
})
