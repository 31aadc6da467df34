// The commit is the last moment a request may change its session: later mutations throw SESSION_COMMITTED before any store call.
import { sessionControl } from '../../src/core/control.ts'
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/stores/memory.ts'
import { countingStore } from '../support/counting-store.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

describe('mutation after commit', () => {
  it('each mutation throws SESSION_COMMITTED without calling the store, and the cookie keeps working', async () => {
    const counted = countingStore(memoryStore())
    const { sessions } = testSessions({ store: counted.store })
    const first = await sessions.load()
    await first.login('alice')
    first.set('theme', 'dark')
    const cookie = cookiePair((await first.commit()).cookies[0])
    const attempts: Array<[string, (s: typeof first) => unknown]> = [
      ['set', (s) => s.set('x', 1)],
      ['delete', (s) => s.delete('theme')],
      ['update', (s) => s.update((d) => void (d.x = 1))],
      ['login', (s) => s.login('bob')],
      ['regenerate', (s) => s.regenerate()],
      ['logout', (s) => s.logout()],
      ['destroy', (s) => s.destroy()],
    ]
    const session = await sessions.load({ cookie })
    expect(await session.commit()).toEqual({ cookies: [] })
    const calls = { ...counted.calls }
    for (const [name, mutate] of attempts) {
      await expect((async () => mutate(session))(), name).rejects.toMatchObject({
        code: 'SESSION_COMMITTED',
      })
    }
    expect(counted.calls).toEqual(calls)
    expect(session.data).toEqual({ theme: 'dark' })
    expect(await session.commit()).toEqual({ cookies: [] })
    const next = await sessions.load({ cookie })
    expect(next.userId).toBe('alice')
    expect(next.get('theme')).toBe('dark')
  })

  it('a mutation racing the commit (started, not finished) is refused too', async () => {
    const { sessions } = testSessions()
    const session = await sessions.load()
    session.set('a', 1)
    const committing = session.commit()
    expect(() => session.set('b', 2)).toThrow(
      expect.objectContaining({ code: 'SESSION_COMMITTED' }),
    )
    const cookie = cookiePair((await committing).cookies[0])
    expect((await sessions.load({ cookie })).data).toEqual({ a: 1 })
  })
})

describe('commitWithoutWrite (what adapters try first, so a read is not held for the store)', () => {
  it('commits now, with the same cookies as commit(), only when nothing has to be written', async () => {
    const counted = countingStore(memoryStore())
    const { sessions, clock } = testSessions({ store: counted.store, touchInterval: '1m' })
    const first = await sessions.load()
    await first.login('alice')
    const cookie = cookiePair((await first.commit()).cookies[0])

    const read = await sessions.load({ cookie })
    const calls = { ...counted.calls }
    expect(sessionControl().commitWithoutWrite(read)).toEqual({ cookies: [] })
    expect(counted.calls).toEqual(calls) // no store call
    expect(read.isCommitted).toBe(true)
    expect(() => read.set('x', 1)).toThrow(expect.objectContaining({ code: 'SESSION_COMMITTED' }))

    const changed = await sessions.load({ cookie })
    changed.set('x', 1)
    expect(sessionControl().commitWithoutWrite(changed)).toBeUndefined() // a write: the caller must commit()
    expect(changed.isCommitted).toBe(false)
    expect(await changed.commit()).toEqual({ cookies: [] })
    expect((await sessions.load({ cookie })).get('x')).toBe(1)

    clock.advance(2 * 60_000)
    const touched = await sessions.load({ cookie })
    expect(sessionControl().commitWithoutWrite(touched)).toBeUndefined() // the touch interval passed: a write

    const anonymous = await sessions.load()
    anonymous.set('cart', 1)
    expect(sessionControl().commitWithoutWrite(anonymous)).toBeUndefined() // creating the session is a write
    expect(await sessions.load().then((s) => sessionControl().commitWithoutWrite(s))).toEqual({
      cookies: [],
    })
  })
})
