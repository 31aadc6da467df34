// #23.2 through the manager: a slow request that writes after another one touched the session never ends it early.
import { describe, expect, it } from 'vitest'
import type { Sessions } from '../../src/index.ts'
import { testClock } from '../support/clock.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'
import { storeMatrix } from '../support/store-matrix.ts'

const SECOND = 1_000
const STORES = storeMatrix()

/** When each request runs, in seconds after T0 (the login): L loads, S touches, L writes. */
const TIMELINES = [
  { name: 'a write right after a touch', lLoads: 59, sTouches: 61, lWrites: 64 },
  { name: 'a long upload: its TTL would drop from 600 s to 2 s', lLoads: 30, sTouches: 597, lWrites: 598 },
]

describe.each(Object.entries(STORES))('a slow request cannot end the session early (%s)', (_name, factory) => {
  it.each(TIMELINES)('$name', async ({ lLoads, sTouches, lWrites }) => {
    const clock = testClock()
    const { store, advance } = factory(clock)
    const options = { store, clock, idleTimeout: '10m', touchInterval: '60s', absoluteTimeout: '24h' } as const
    const { sessions } = testSessions(options)
    const T0 = clock()
    const at = async (second: number): Promise<void> => advance(T0 + second * SECOND - clock())
    try {
      const login = await sessions.load()
      await login.login('alice')
      const cookie = cookiePair((await login.commit()).cookies[0])

      await at(lLoads)
      const slow = await sessions.load({ cookie })
      await at(sTouches)
      const touching = await sessions.load({ cookie })
      expect(touching.needsWrite).toBe(true) // the touch interval has passed: S writes lastSeenAt
      await touching.commit()
      await at(lWrites)
      slow.set('upload', 'done')
      await slow.commit()

      // L's own view ended the session at T0+601 s; S's touch keeps it to T0+sTouches+600 s.
      await at(601)
      expect(await signedIn(sessions, cookie)).toBe(true)
      await at(sTouches + 599)
      const late = await sessions.load({ cookie })
      expect([late.userId, late.get('upload')]).toEqual(['alice', 'done'])
      await at(sTouches + 600)
      expect(await signedIn(sessions, cookie)).toBe(false)
    } finally {
      await store.close?.()
    }
  })
})

/** Loads the session without committing (a touch would move the deadline this test checks). */
async function signedIn(sessions: Sessions, cookie: string): Promise<boolean> {
  return (await sessions.load({ cookie })).isAuthenticated
}
