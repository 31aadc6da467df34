// Builds a manager for tests with a fixed secret, an injected clock and an event log.
import { createSessions, type SessionEvent, type SessionsOptions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import type { SessionData } from '../../src/stores/types.ts'
import { testClock } from './clock.ts'

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop'

/** A manager on a fresh memory store, with its clock and the events it emitted. */
export function testSessions<D extends SessionData = SessionData>(
  options: Partial<SessionsOptions<D>> = {},
) {
  const clock = testClock()
  const events: SessionEvent[] = []
  const store = options.store ?? memoryStore({ clock })
  const sessions = createSessions<D>({
    secret: TEST_SECRET,
    clock,
    store,
    cookie: { secure: false },
    onEvent: (e) => events.push(e),
    ...options,
  })
  return { sessions, clock, events, store }
}

/** The `name=value` pair from a Set-Cookie value, for the next request's Cookie header. */
export function cookiePair(setCookie: string | undefined): string {
  if (!setCookie) throw new Error('expected a Set-Cookie value')
  return setCookie.split(';')[0] as string
}
