// Listing and revoking a user's sessions, the per-user cap, and password-change style rotation.
import { describe, expect, it } from 'vitest'
import { cookiePair, testSessions } from '../support/sessions.ts'

async function devices(
  sessions: ReturnType<typeof testSessions>['sessions'],
  userId: string,
  count: number,
  clock?: { advance(ms: number): void },
) {
  const cookies: string[] = []
  for (let i = 0; i < count; i++) {
    clock?.advance(1_000)
    const session = await sessions.load({ userAgent: `device-${i}` })
    await session.login(userId)
    cookies.push(cookiePair((await session.commit()).cookies[0]))
  }
  return cookies
}

describe('revocation', () => {
  it('revokeSession only revokes the user’s own session', async () => {
    const { sessions, events } = testSessions()
    const [aliceCookie] = await devices(sessions, 'alice', 1)
    await devices(sessions, 'bob', 1)
    const [bobSession] = await sessions.listSessions('bob')
    expect(await sessions.revokeSession('alice', bobSession!.id)).toBe(false)
    expect(await sessions.revokeSession('alice', 'not-an-id')).toBe(false)
    expect(await sessions.listSessions('bob')).toHaveLength(1)
    const [aliceSession] = await sessions.listSessions('alice')
    expect(await sessions.revokeSession('alice', aliceSession!.id)).toBe(true)
    expect((await sessions.load({ cookie: aliceCookie })).isAuthenticated).toBe(false)
    expect(events.filter((e) => e.type === 'session.revoked')).toMatchObject([
      { id: aliceSession!.id, userId: 'alice', reason: 'revoke' },
    ])
  })

  it('log out everywhere else: revokeUserSessions with except keeps the current one', async () => {
    const { sessions } = testSessions()
    const cookies = await devices(sessions, 'alice', 4)
    const current = await sessions.load({ cookie: cookies[0] })
    expect(await sessions.revokeUserSessions('alice', { except: current.id })).toBe(3)
    expect((await sessions.load({ cookie: cookies[0] })).userId).toBe('alice')
    for (const cookie of cookies.slice(1))
      expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
  })

  it('password change: rotate the current session and revoke every other one', async () => {
    const { sessions } = testSessions()
    const cookies = await devices(sessions, 'alice', 3)
    const current = await sessions.load({ cookie: cookies[0] })
    await current.regenerate()
    await sessions.revokeUserSessions('alice', { except: current.id })
    const [fresh] = (await current.commit()).cookies
    for (const cookie of cookies)
      expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
    expect((await sessions.load({ cookie: cookiePair(fresh) })).userId).toBe('alice')
    expect(await sessions.listSessions('alice')).toHaveLength(1)
  })

  it('maxSessionsPerUser evicts the oldest session on login, with an event', async () => {
    const { sessions, clock, events } = testSessions({ maxSessionsPerUser: 2 })
    const cookies = await devices(sessions, 'alice', 3, clock)
    expect((await sessions.load({ cookie: cookies[0] })).isAuthenticated).toBe(false)
    expect((await sessions.load({ cookie: cookies[1] })).userId).toBe('alice')
    expect((await sessions.load({ cookie: cookies[2] })).userId).toBe('alice')
    expect(
      events.filter((e) => e.type === 'session.revoked' && e.reason === 'evicted'),
    ).toHaveLength(1)
  })
})

describe('privilege changes', () => {
  it('regenerate({ roles }) rotates the id, changes the roles and keeps the deadlines', async () => {
    const { sessions, clock } = testSessions()
    const [cookie] = await devices(sessions, 'alice', 1)
    clock.advance(60_000)
    const session = await sessions.load({ cookie })
    const deadline = session.expiresAt
    await session.regenerate({ roles: ['admin'] })
    const [fresh] = (await session.commit()).cookies
    expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
    const after = await sessions.load({ cookie: cookiePair(fresh) })
    expect(after.roles).toEqual(['admin'])
    expect(after.expiresAt).toBe(deadline)
  })

  it('a function rememberMeIdleTimeout applies to remember-me sessions on their next request', async () => {
    let days = 7
    const { sessions, clock } = testSessions({ rememberMeIdleTimeout: () => days * 86_400 })
    const session = await sessions.load()
    await session.login('alice', { rememberMe: true })
    const cookie = cookiePair((await session.commit()).cookies[0])
    clock.advance(2 * 86_400_000)
    expect((await sessions.load({ cookie })).userId).toBe('alice')
    days = 1
    expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
  })
})
