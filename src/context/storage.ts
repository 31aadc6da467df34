// The AsyncLocalStorage behind hallpass/context, entered by adapters only once an app has imported hallpass/context.
import type { AsyncLocalStorage } from 'node:async_hooks'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { HallpassError } from '../errors.ts'

/** Created by `enableContext()`: node:async_hooks is loaded only by apps that use hallpass/context. */
let storage: AsyncLocalStorage<Session<SessionData>> | undefined

/** Called when `hallpass/context` is imported: from then on adapters run each request inside the storage. */
export function enableContext(): void {
  if (storage) return
  const hooks = globalThis.process?.getBuiltinModule?.('node:async_hooks')
  if (!hooks)
    throw new HallpassError(
      'CONFIG_INVALID',
      'hallpass/context needs node:async_hooks, which this runtime does not provide. On Cloudflare Workers, add ' +
        '"nodejs_compat" to "compatibility_flags" in wrangler.jsonc.',
    )
  storage = new hooks.AsyncLocalStorage<Session<SessionData>>()
}

/** The session of the current async call chain, if any. */
export function currentSession(): Session<SessionData> | undefined {
  return storage?.getStore()
}

/**
 * Runs `fn` with `session` as the current session when the app uses `hallpass/context`, and just
 * runs it otherwise: on Node 20 an active AsyncLocalStorage hooks every promise, a cost apps that
 * never call `getSession()` should not pay.
 */
export function runWithSession<T>(session: Session<SessionData>, fn: () => T): T {
  return storage ? storage.run(session, fn) : fn()
}
