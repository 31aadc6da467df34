// Typed data checked against a Standard Schema on load and write; store outages fail closed and recover.
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { memoryStore } from '../../src/stores/memory.ts'
import { countingStore } from '../support/counting-store.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'
import { testRecord } from '../../src/testing/index.ts'

const schema = z
  .object({
    userName: z.string().max(50),
    cart: z.array(z.object({ sku: z.string(), qty: z.number().int() })),
  })
  .partial()

describe('schema', () => {
  it('types the data and refuses invalid writes with SESSION_DATA_INVALID', async () => {
    const { sessions, store } = testSessions({ schema })
    const session = await sessions.load()
    expectTypeOf(session.get('cart')).toEqualTypeOf<
      Array<{ sku: string; qty: number }> | undefined
    >()
    // @ts-expect-error qty must be a number
    session.set('cart', [{ sku: 'a', qty: 'two' }])
    await expect(session.commit()).rejects.toMatchObject({
      code: 'SESSION_DATA_INVALID',
      message: expect.stringMatching(/cart\.0\.qty/),
    })
    expect((store as ReturnType<typeof memoryStore>).size).toBe(0)
  })

  it('a stored record that no longer matches the schema is discarded on load, with an event', async () => {
    const store = memoryStore()
    const loose = testSessions({ store })
    const writer = await loose.sessions.load()
    writer.set('userName', 'x'.repeat(80))
    const cookie = cookiePair((await writer.commit()).cookies[0])
    const strict = testSessions({ store, schema })
    const reader = await strict.sessions.load({ cookie })
    expect(reader.isNew).toBe(true)
    expect(reader.data).toEqual({})
    expect(strict.events).toMatchObject([{ type: 'session.rejected', reason: 'invalid_data' }])
    expect(store.size).toBe(0)
  })
})

describe('store outages', () => {
  it('fail closed with STORE_UNAVAILABLE and recover without a restart', async () => {
    const { store, setDown } = countingStore(memoryStore())
    const { sessions } = testSessions({ store })
    const session = await sessions.load()
    await session.login('alice')
    const cookie = cookiePair((await session.commit()).cookies[0])
    setDown(true)
    const err = await sessions.load({ cookie }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'HallpassError', code: 'STORE_UNAVAILABLE' })
    expect((err as Error).message).not.toMatch(/6379|ECONNREFUSED/)
    await expect(sessions.listSessions('alice')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    })
    const fresh = await sessions.load() // no cookie: no store needed
    await expect(fresh.login('bob')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect((await fresh.commit()).cookies).toEqual([])
    setDown(false)
    expect((await sessions.load({ cookie })).userId).toBe('alice')
  })

  it('a throwing onEvent listener never breaks a request', async () => {
    const { sessions } = testSessions({
      onEvent: () => {
        throw new Error('audit sink down')
      },
    })
    const session = await sessions.load()
    await session.login('alice')
    expect((await session.commit()).cookies).toHaveLength(1)
  })

  it('events carry public ids, never the token', async () => {
    const { sessions, events } = testSessions()
    const session = await sessions.load()
    await session.login('alice')
    const cookie = cookiePair((await session.commit()).cookies[0])
    await (await sessions.load({ cookie })).logout()
    const token = cookie.split('.')[1] as string
    expect(events.length).toBeGreaterThan(2)
    expect(JSON.stringify(events)).not.toContain(token.slice(4))
  })
})

describe('ping', () => {
  it('resolves while the store answers and fails closed while it does not', async () => {
    const { store, setDown } = countingStore(memoryStore())
    const { sessions } = testSessions({ store })
    await expect(sessions.ping()).resolves.toBeUndefined()
    setDown(true)
    await expect(sessions.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    setDown(false)
    await expect(sessions.ping()).resolves.toBeUndefined()
  })
})

describe('listSessions and corrupt records', () => {
  it('leaves out a record load() would refuse (a 600-character user agent written straight to the store)', async () => {
    const store = memoryStore()
    const { sessions } = testSessions({ store })
    const good = await sessions.load({ userAgent: 'curl/8.5.0' })
    await good.login('ursula')
    await good.commit()
    const now = Date.now()
    await store.create(
      testRecord({
        userId: 'ursula',
        userAgent: 'x'.repeat(600),
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + 3_600_000,
      }),
      { ttl: 3_600_000 },
    )
    const listed = await sessions.listSessions('ursula')
    expect(listed.map((s) => s.userAgent)).toEqual(['curl/8.5.0'])
  })
})
