// Session data must survive a JSON round trip unchanged: set() and update() refuse anything else, naming the path.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { memoryStore } from '../../src/stores/memory.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

class Money {
  constructor(readonly cents: number) {}
}

const cyclic: Record<string, unknown> = { name: 'loop' }
cyclic['self'] = cyclic

/** Values that JSON would change or drop, each with the path the error must name. */
const NOT_JSON: Array<[string, unknown, string]> = [
  ['a Date', new Date(), 'v'],
  ['a Map', new Map([['a', 1]]), 'v'],
  ['a Set', new Set([1]), 'v'],
  ['a class instance', new Money(5), 'v'],
  ['a BigInt', 10n, 'v'],
  ['NaN', Number.NaN, 'v'],
  ['Infinity', Number.POSITIVE_INFINITY, 'v'],
  ['-Infinity', Number.NEGATIVE_INFINITY, 'v'],
  ['a function', () => 1, 'v'],
  ['a symbol', Symbol('s'), 'v'],
  ['undefined in an array', [1, undefined], 'v[1]'],
  // eslint-disable-next-line no-sparse-arrays -- the hole is the case under test
  ['a hole in an array', [1, , 3], 'v'],
  ['undefined in an object', { a: undefined }, 'v.a'],
  ['a cycle', cyclic, 'v.self'],
  [
    'a Date deep inside',
    { cart: { items: [{ sku: 'a' }, { added: new Date() }] } },
    'v.cart.items[1].added',
  ],
  ['a RegExp', /x/, 'v'],
  ['a typed array', new Uint8Array(2), 'v'],
  ['an object with toJSON', { toJSON: () => 'x' }, 'v.toJSON'],
]

describe('session data is plain JSON', () => {
  it.each(NOT_JSON)(
    'set() refuses %s with SESSION_DATA_INVALID naming the path',
    async (_what, value, path) => {
      const { sessions, store } = testSessions()
      const session = await sessions.load()
      expect(() => session.set('v', value)).toThrow(
        expect.objectContaining({
          code: 'SESSION_DATA_INVALID',
          message: expect.stringContaining(`${path} `),
        }),
      )
      await session.commit()
      expect((store as ReturnType<typeof memoryStore>).size).toBe(0)
    },
  )

  it.each(NOT_JSON)('update() refuses %s and stores nothing', async (_what, value, path) => {
    const { sessions } = testSessions()
    const session = await sessions.load()
    await session.login('alice')
    session.set('kept', 1)
    const { cookies } = await session.commit()
    const next = await sessions.load({ cookie: cookiePair(cookies[0]) }) // the next request: a committed session takes no more changes
    await expect(next.update((draft) => ({ ...draft, v: value }))).rejects.toMatchObject({
      code: 'SESSION_DATA_INVALID',
      message: expect.stringContaining(`${path} `),
    })
    expect(next.get('v' as never)).toBeUndefined()
    expect(next.get('kept' as never)).toBe(1)
  })

  it('a Date in a z.date() field is refused at set(), and the user stays signed in (the record is not lost at the next load)', async () => {
    const schema = z.object({ lastLogin: z.date(), visits: z.number() }).partial()
    const { sessions } = testSessions({ schema })
    const first = await sessions.load()
    await first.login('alice')
    first.set('visits', 1)
    const cookie = cookiePair((await first.commit()).cookies[0])
    const second = await sessions.load({ cookie })
    expect(() => second.set('lastLogin', new Date())).toThrow(
      expect.objectContaining({
        code: 'SESSION_DATA_INVALID',
        message: expect.stringMatching(/lastLogin .*epoch ms/),
      }),
    )
    await second.commit()
    const third = await sessions.load({ cookie })
    expect(third.userId).toBe('alice')
    expect(third.get('visits')).toBe(1)
  })

  it('dates kept as epoch ms or ISO strings come back as they went in', async () => {
    const schema = z.object({ at: z.number().int(), iso: z.iso.datetime() }).partial()
    const { sessions } = testSessions({ schema })
    const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5))
    const session = await sessions.load()
    session.set('at', now.getTime())
    session.set('iso', now.toISOString())
    const cookie = cookiePair((await session.commit()).cookies[0])
    const again = await sessions.load({ cookie })
    expect(new Date(again.get('at') as number)).toEqual(now)
    expect(new Date(again.get('iso') as string)).toEqual(now)
  })

  it('the schema is checked against the JSON round trip: a non-enumerable field it needs is refused at write', async () => {
    const schema = z.object({ profile: z.object({ name: z.string() }) }).partial()
    const { sessions } = testSessions({ schema })
    const session = await sessions.load()
    const profile = Object.defineProperty({}, 'name', { value: 'Ann', enumerable: false }) as {
      name: string
    }
    session.set('profile', profile)
    await expect(session.commit()).rejects.toMatchObject({
      code: 'SESSION_DATA_INVALID',
      message: expect.stringContaining('profile.name'),
    })
  })

  it("get() reads only the data's own keys", async () => {
    const { sessions } = testSessions()
    const session = await sessions.load()
    for (const key of ['toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])
      expect(session.get(key)).toBeUndefined()
    session.set('toString', 'mine')
    expect(session.get('toString')).toBe('mine')
    const cookie = cookiePair((await session.commit()).cookies[0])
    const again = await sessions.load({ cookie })
    expect(again.get('toString')).toBe('mine')
    expect(again.get('valueOf')).toBeUndefined()
  })

  it('plain JSON of every kind is accepted, and null, -0 and 64 levels of nesting are fine', async () => {
    const { sessions } = testSessions()
    const session = await sessions.load()
    let deep: unknown = 'bottom'
    for (let i = 0; i < 64; i++) deep = [deep]
    session.set('v', {
      s: 'x',
      n: 1.5,
      z: -0,
      t: true,
      f: false,
      nil: null,
      list: [1, 'a', null, { k: [] }],
      empty: {},
      bare: Object.create(null) as object,
    })
    session.set('deep', deep)
    const { cookies } = await session.commit()
    expect(cookies).toHaveLength(1)
    const next = await sessions.load({ cookie: cookiePair(cookies[0]) })
    expect(next.get('deep' as never)).toEqual(deep)
    expect(() => next.set('w', [deep])).toThrow(
      expect.objectContaining({
        code: 'SESSION_DATA_INVALID',
        message: expect.stringMatching(/nested more than 64 levels/),
      }),
    )
  })
})
