// #23.2 through the manager: a slow request that writes after another one touched the session never ends it early.
import { sessionControl } from '../../src/core/control.ts'
import { describe, expect, it } from 'vitest'
import type { Sessions, SessionsOptions } from '../../src/index.ts'
import { sealedCookies } from '../../src/sealed/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { testClock, type TestClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'
import { storeMatrix } from '../support/store-matrix.ts'

const SECOND = 1_000
/** How sessions are kept: a store on the test clock, or cookies (and the options that turn them on). */
type Mode = (clock: TestClock) => {
  readonly store: NonNullable<SessionsOptions['store']>
  readonly advance: (ms: number) => Promise<void>
  readonly options?: Partial<SessionsOptions>
}

const MODES: Record<string, Mode> = {
  ...storeMatrix(),
  // The record also travels in cookies: a stale copy from the slow request must not end the session either.
  'memory behind the cookie cache': (clock) => ({
    store: memoryStore({ clock }),
    advance: async (ms) => clock.advance(ms),
    options: { cookieCache: { ttl: '30s' } },
  }),
  'sealed cookies': (clock) => ({
    store: sealedCookies(),
    advance: async (ms) => clock.advance(ms),
  }),
}

/** When each request runs, in seconds after T0 (the login): L loads, S touches, L writes. */
const TIMELINES = [
  { name: 'a write right after a touch', lLoads: 59, sTouches: 61, lWrites: 64 },
  {
    name: 'a long upload: its TTL would drop from 600 s to 2 s',
    lLoads: 30,
    sTouches: 597,
    lWrites: 598,
  },
]

/** The browser's cookies: each response's Set-Cookie values replace those of the same name, in order. */
class Jar {
  private readonly values = new Map<string, string>()
  take(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const pair = line.split(';')[0] as string
      const name = pair.slice(0, pair.indexOf('='))
      if (/max-age=0/i.test(line)) this.values.delete(name)
      else this.values.set(name, pair)
    }
  }
  get header(): string {
    return [...this.values.values()].join('; ')
  }
}

describe.each(Object.entries(MODES))(
  'a slow request cannot end the session early (%s)',
  (_name, mode) => {
    it.each(TIMELINES)('$name', async ({ lLoads, sTouches, lWrites }) => {
      const clock = testClock()
      const { store, advance, options = {} } = mode(clock)
      const timeouts = { idleTimeout: '10m', touchInterval: '60s', absoluteTimeout: '24h' } as const
      const { sessions } = testSessions({ store, clock, ...timeouts, ...options })
      const T0 = clock()
      const at = async (second: number): Promise<void> => advance(T0 + second * SECOND - clock())
      const jar = new Jar()
      try {
        const login = await sessions.load()
        await login.login('alice')
        jar.take((await login.commit()).cookies)

        await at(lLoads)
        const slow = await sessions.load({ cookie: jar.header })
        await at(sTouches)
        const touching = await sessions.load({ cookie: jar.header })
        expect(sessionControl().needsWrite(touching)).toBe(true) // the touch interval has passed: S writes lastSeenAt
        jar.take((await touching.commit()).cookies)
        await at(lWrites)
        slow.set('upload', 'done')
        jar.take((await slow.commit()).cookies)

        // L's own view ended the session at T0+600 s. Its write is the user's last activity: the session lasts
        // 600 s from there.
        await at(601)
        expect(await signedIn(sessions, jar.header)).toBe(true)
        await at(lWrites + 599)
        const late = await sessions.load({ cookie: jar.header })
        expect([late.userId, late.get('upload')]).toEqual(['alice', 'done'])
        await at(lWrites + 600)
        expect(await signedIn(sessions, jar.header)).toBe(false)
      } finally {
        if ('close' in store) await store.close?.()
      }
    })
  },
)

/** Loads the session without committing (a touch would move the deadline this test checks). */
async function signedIn(sessions: Sessions, cookie: string): Promise<boolean> {
  return (await sessions.load({ cookie })).isAuthenticated
}
