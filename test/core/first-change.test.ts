// Session.beforeFirstChange fires once, synchronously, before any mutation takes effect (never after commit), and needsWrite tracks the change.
import { sessionControl } from '../../src/core/control.ts'
import { describe, expect, it } from 'vitest'
import type { Session } from '../../src/core/session.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { countingStore } from '../support/counting-store.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

type Mutation = [name: string, mutate: (s: Session) => unknown]
const MUTATIONS: Mutation[] = [
  ['set', (s) => s.set('x', 1)],
  ['delete', (s) => s.delete('theme')],
  ['update', (s) => s.update((d) => void (d.x = 1))],
  ['login', (s) => s.login('bob')],
  ['regenerate', (s) => s.regenerate()],
  ['destroy', (s) => s.destroy()],
  ['logout', (s) => s.logout()],
]

/** A manager, with one signed-in session (theme: dark) already stored, and a counter of store calls. */
async function signedIn() {
  const counted = countingStore(memoryStore())
  const { sessions, clock } = testSessions({ store: counted.store, touchInterval: '1m' })
  const first = await sessions.load()
  await first.login('alice')
  first.set('theme', 'dark')
  const cookie = cookiePair((await first.commit()).cookies[0])
  return { sessions, clock, cookie, calls: counted.calls }
}

describe('beforeFirstChange', () => {
  for (const [name, mutate] of MUTATIONS) {
    it(`fires once, synchronously, before ${name}() touches the data or the store`, async () => {
      const { sessions, cookie, calls } = await signedIn()
      const session = await sessions.load({ cookie })
      const seen: Array<{
        data: unknown
        userId: string | null
        storeCalls: number
        needsWrite: boolean
      }> = []
      sessionControl().beforeFirstChange(session, () =>
        seen.push({
          data: { ...session.data },
          userId: session.userId,
          storeCalls: Object.values(calls).reduce((a, b) => a + b, 0),
          needsWrite: sessionControl().needsWrite(session),
        }),
      )
      const before = Object.values(calls).reduce((a, b) => a + b, 0)
      const pending = (async () => mutate(session))()
      // Synchronously, before any await: the listener already ran, and saw the session as it was.
      expect(seen).toEqual([
        { data: { theme: 'dark' }, userId: 'alice', storeCalls: before, needsWrite: false },
      ])
      await pending
      session.delete('nothing') // a second mutation (every one passes assertOpen) does not fire it again
      session.set('y', 2)
      expect(seen).toHaveLength(1) // once, not per mutation
    })
  }

  it('does not fire after the commit: the mutation throws SESSION_COMMITTED instead', async () => {
    const { sessions, cookie } = await signedIn()
    for (const [name, mutate] of MUTATIONS) {
      const session = await sessions.load({ cookie })
      let fired = 0
      sessionControl().beforeFirstChange(session, () => fired++)
      expect(sessionControl().commitWithoutWrite(session), name).toEqual({ cookies: [] })
      await expect((async () => mutate(session))(), name).rejects.toMatchObject({
        code: 'SESSION_COMMITTED',
      })
      expect(fired, name).toBe(0)
    }
  })

  it('does not fire after a commit that wrote, nor after commitAfterError', async () => {
    const { sessions, cookie } = await signedIn()
    const wrote = await sessions.load({ cookie })
    wrote.set('x', 1)
    let fired = 0
    sessionControl().beforeFirstChange(wrote, () => fired++)
    await wrote.commit()
    expect(() => wrote.set('x', 2)).toThrow(expect.objectContaining({ code: 'SESSION_COMMITTED' }))
    expect(fired).toBe(0)

    const failed = await sessions.load({ cookie })
    sessionControl().beforeFirstChange(failed, () => fired++)
    expect(sessionControl().commitAfterError(failed)).toEqual({ cookies: [] })
    expect(() => failed.set('x', 2)).toThrow(expect.objectContaining({ code: 'SESSION_COMMITTED' }))
    expect(fired).toBe(0)
  })

  it('fires even when the mutation itself then fails (a forbidden key): the listener cannot know it will', async () => {
    const { sessions, cookie } = await signedIn()
    const session = await sessions.load({ cookie })
    let fired = 0
    sessionControl().beforeFirstChange(session, () => fired++)
    expect(() => session.set('__proto__' as never, 1 as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(fired).toBe(1)
    expect(sessionControl().needsWrite(session)).toBe(false) // nothing changed: the commit writes nothing
  })
})

describe('needsWrite', () => {
  it('is false on a fresh read, of a new and of a stored session', async () => {
    const { sessions, cookie } = await signedIn()
    expect(sessionControl().needsWrite(await sessions.load())).toBe(false)
    expect(sessionControl().needsWrite(await sessions.load({ cookie }))).toBe(false)
  })

  for (const [name, mutate] of MUTATIONS.filter(
    ([n]) => n === 'set' || n === 'delete' || n === 'update',
  )) {
    it(`is true after ${name}() on a stored session, and false again once committed`, async () => {
      const { sessions, cookie } = await signedIn()
      const session = await sessions.load({ cookie })
      await mutate(session)
      if (name === 'update') {
        // update() writes the store itself: nothing is left for the commit.
        expect(sessionControl().needsWrite(session)).toBe(false)
        expect((await sessions.load({ cookie })).get('x')).toBe(1)
        return
      }
      expect(sessionControl().needsWrite(session)).toBe(true)
      await session.commit()
      expect(sessionControl().needsWrite(session)).toBe(false)
    })
  }

  it('is true after set() on a new session (the commit creates it), and stays false after a delete of nothing', async () => {
    const { sessions } = await signedIn()
    const fresh = await sessions.load()
    fresh.delete('theme')
    expect(sessionControl().needsWrite(fresh)).toBe(false)
    fresh.set('x', 1)
    expect(sessionControl().needsWrite(fresh)).toBe(true)
  })

  it('after login/regenerate/destroy/logout: the id change is already in the store, and the commit sends its cookie without a write', async () => {
    for (const [name, mutate] of MUTATIONS.filter(([n]) =>
      ['login', 'regenerate', 'destroy', 'logout'].includes(n),
    )) {
      const { sessions, cookie } = await signedIn()
      const session = await sessions.load({ cookie })
      await mutate(session)
      expect(sessionControl().needsWrite(session), name).toBe(false)
      const committed = sessionControl().commitWithoutWrite(session)
      expect(committed?.cookies.length, name).toBe(1) // the new id's cookie, or the clearing one
    }
  })

  it('is true at load when the touch is due, false before', async () => {
    const { sessions, cookie, clock } = await signedIn()
    expect(sessionControl().needsWrite(await sessions.load({ cookie }))).toBe(false)
    clock.advance(61_000)
    expect(sessionControl().needsWrite(await sessions.load({ cookie }))).toBe(true)
  })
})
