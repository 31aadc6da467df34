// The AsyncLocalStorage behind hallpass/context, entered by adapters only once an app has imported hallpass/context.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'

const storage = new AsyncLocalStorage<Session<SessionData>>()
let wanted = false

/** Called when `hallpass/context` is imported: from then on adapters run each request inside the storage. */
export function enableContext(): void {
  wanted = true
}

/** The session of the current async call chain, if any. */
export function currentSession(): Session<SessionData> | undefined {
  return storage.getStore()
}

/**
 * Runs `fn` with `session` as the current session when the app uses `hallpass/context`, and just
 * runs it otherwise: on Node 20 an active AsyncLocalStorage hooks every promise, a cost apps that
 * never call `getSession()` should not pay.
 */
export function runWithSession<T>(session: Session<SessionData>, fn: () => T): T {
  return wanted ? storage.run(session, fn) : fn()
}
