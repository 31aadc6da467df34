// The mass sign-out of #24 as the attack, through the manager: anonymous writes flood the default (memory) store.
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/stores/memory.ts'
import { testClock } from '../support/clock.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

type Manager = ReturnType<typeof testSessions>['sessions']

async function signIn(sessions: Manager, userId: string): Promise<string> {
  const session = await sessions.load({})
  await session.login(userId)
  return cookiePair((await session.commit()).cookies[0])
}

/** One cookieless request that writes to its anonymous session (a cart, a theme, a visit counter). */
async function anonymousWrite(sessions: Manager, i: number): Promise<void> {
  const session = await sessions.load({})
  session.set('visits', i)
  await session.commit()
}

describe('anonymous flood (#24)', () => {
  it('a flood of anonymous writes over a small bound never signs a user out', async () => {
    const clock = testClock()
    const { sessions, events } = testSessions({
      clock,
      store: memoryStore({ clock, maxSessions: 50 }),
    })
    const alice = await signIn(sessions, 'alice')
    for (let i = 0; i < 1_000; i++) await anonymousWrite(sessions, i)
    expect((await sessions.load({ cookie: alice })).userId).toBe('alice')
    expect(events.filter((e) => e.type === 'session.revoked')).toEqual([])
  })

  it('full of signed-in sessions: an anonymous write fails closed (STORE_UNAVAILABLE); nobody signed out', async () => {
    const clock = testClock()
    const { sessions } = testSessions({ clock, store: memoryStore({ clock, maxSessions: 3 }) })
    const users = ['alice', 'bob', 'carol']
    const cookies: string[] = []
    for (const user of users) cookies.push(await signIn(sessions, user))
    await expect(anonymousWrite(sessions, 1)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    for (const [i, cookie] of cookies.entries())
      expect((await sessions.load({ cookie })).userId).toBe(users[i])
  })

  it('a login into a store full of signed-in sessions evicts the LRU one, with session.revoked "evicted"', async () => {
    const clock = testClock()
    const { sessions, events } = testSessions({
      clock,
      store: memoryStore({ clock, maxSessions: 3 }),
    })
    const alice = await signIn(sessions, 'alice')
    const bob = await signIn(sessions, 'bob')
    await signIn(sessions, 'carol')
    clock.advance(10 * 60_000) // past the touch interval: alice's next request touches her session
    await (await sessions.load({ cookie: alice })).commit()
    await signIn(sessions, 'dave')
    expect((await sessions.load({ cookie: bob })).isAuthenticated).toBe(false)
    expect((await sessions.load({ cookie: alice })).userId).toBe('alice')
    expect(events.filter((e) => e.type === 'session.revoked')).toMatchObject([
      { userId: 'bob', reason: 'evicted' },
    ])
  })

  it('one account signing in again and again (maxSessionsPerUser 1) never signs another user out', async () => {
    const clock = testClock()
    const { sessions, events } = testSessions({
      clock,
      maxSessionsPerUser: 1,
      store: memoryStore({ clock, maxSessions: 50 }),
    })
    const alice = await signIn(sessions, 'alice')
    let mallory = await signIn(sessions, 'mallory')
    for (let i = 0; i < 200; i++) {
      const session = await sessions.load({ cookie: mallory }) // signed in: login() leaves a tombstone
      await session.login('mallory')
      mallory = cookiePair((await session.commit()).cookies[0])
    }
    expect((await sessions.load({ cookie: alice })).userId).toBe('alice')
    expect(events.filter((e) => e.type === 'session.revoked' && e.userId === 'alice')).toEqual([])
  })
})
