// No lost updates and no resurrection: interleaved commits, update() increments, commits racing revoke.
import { describe, expect, it } from 'vitest'
import { cookiePair, testSessions } from '../support/sessions.ts'

async function loggedIn(sessions: ReturnType<typeof testSessions>['sessions'], userId = 'alice') {
  const session = await sessions.load()
  await session.login(userId)
  return cookiePair((await session.commit()).cookies[0])
}

describe('concurrency', () => {
  it('1,000 interleaved concurrent requests writing different keys all persist', async () => {
    const { sessions } = testSessions()
    const cookie = await loggedIn(sessions)
    const loaded = await Promise.all(Array.from({ length: 1000 }, () => sessions.load({ cookie })))
    loaded.forEach((session, i) => session.set(`k${i}`, i))
    const order = loaded.map((_, i) => i).sort(() => Math.random() - 0.5)
    await Promise.all(order.map((i) => loaded[i]!.commit()))
    const after = await sessions.load({ cookie })
    expect(Object.keys(after.data)).toHaveLength(1000)
    expect(loaded.every((session, i) => after.get(`k${i}`) === i)).toBe(true)
  })

  it('update(fn) never loses an increment', async () => {
    const { sessions } = testSessions<{ counter: number }>()
    const cookie = await loggedIn(sessions)
    const requests = await Promise.all(Array.from({ length: 100 }, () => sessions.load({ cookie })))
    await Promise.all(
      requests.map((session) =>
        session
          .update((d) => ({ ...d, counter: (d.counter ?? 0) + 1 }))
          .then(() => session.commit()),
      ),
    )
    expect((await sessions.load({ cookie })).get('counter')).toBe(100)
  })

  it('update(fn) sees this request’s pending changes and persists them atomically', async () => {
    const { sessions } = testSessions()
    const cookie = await loggedIn(sessions)
    const session = await sessions.load({ cookie })
    session.set('a', 1)
    const result = await session.update((draft) => {
      draft.b = (draft.a as number) + 1
    })
    expect(result).toEqual({ a: 1, b: 2 })
    expect((await sessions.load({ cookie })).data).toEqual({ a: 1, b: 2 })
  })

  it('a commit after a revoke does not resurrect the session', async () => {
    const { sessions } = testSessions()
    const cookie = await loggedIn(sessions)
    const inFlight = await sessions.load({ cookie })
    inFlight.set('late', true)
    expect(await sessions.revokeUserSessions('alice')).toBe(1)
    const { cookies } = await inFlight.commit()
    expect(cookies[0]).toMatch(/Max-Age=0/)
    expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
    expect(await sessions.listSessions('alice')).toEqual([])
  })

  it('update() on a destroyed session fails with SESSION_GONE instead of recreating it', async () => {
    const { sessions } = testSessions()
    const cookie = await loggedIn(sessions)
    const [a, b] = await Promise.all([sessions.load({ cookie }), sessions.load({ cookie })])
    await a.logout()
    await expect(b.update((d) => ({ ...d, n: 1 }))).rejects.toMatchObject({ code: 'SESSION_GONE' })
    expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
  })

  it('commits racing logout never bring the session back', async () => {
    const { sessions } = testSessions()
    for (let round = 0; round < 25; round++) {
      const cookie = await loggedIn(sessions)
      const writers = await Promise.all(Array.from({ length: 5 }, () => sessions.load({ cookie })))
      const leaver = await sessions.load({ cookie })
      writers.forEach((w, i) => w.set(`k${i}`, i))
      await Promise.all([leaver.logout(), ...writers.map((w) => w.commit())])
      expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
    }
  })
})
