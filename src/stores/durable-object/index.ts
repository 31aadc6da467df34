// Entry point of `hallpass/stores/durable-object`: sessions in Durable Objects, for Cloudflare Workers.
import { configError } from '../../errors.ts'
import type { Store } from '../types.ts'
import { DurableObjectSessionStore } from './store.ts'
import type { DurableNamespace } from './types.ts'

export { HallpassSessions } from './object.ts'
export type { DurableNamespace, DurableState } from './types.ts'

/** The Durable Object store: the `Store` contract, served by `HallpassSessions` objects. */
export interface DurableObjectStore extends Store {
  readonly kind: 'durable-object'
}

/**
 * A session store for Cloudflare Workers with the guarantees of the Redis store: sessions live in
 * `HallpassSessions` Durable Objects (SQLite-backed, strongly consistent, single-threaded), one object per
 * routing tag, so all of a user's sessions, their index and their cap sit in one object and every change is one
 * transaction there. Pass the namespace binding; re-export `HallpassSessions` from your Worker.
 * Workers KV (eventually consistent: a logout reaches other locations up to a minute later) and D1 (no
 * transaction across a read and a write) are refused with `CONFIG_INVALID`; see docs/runtimes/workers.md.
 *
 * @example
 * ```ts
 * import { env } from 'cloudflare:workers'
 * import { createSessions } from 'hallpass'
 * import { durableObjectStore } from 'hallpass/stores/durable-object'
 * export { HallpassSessions } from 'hallpass/stores/durable-object'
 *
 * const sessions = createSessions({ secret: env.SESSION_SECRET, store: durableObjectStore(env.SESSIONS) })
 * ```
 */
export function durableObjectStore(namespace: DurableNamespace): DurableObjectStore {
  const binding: unknown = namespace
  if (typeof binding !== 'object' || binding === null)
    configError(
      'durableObjectStore needs the Durable Object namespace binding of HallpassSessions (env.SESSIONS), got ' +
        (binding === undefined
          ? 'undefined: is the binding declared in wrangler.jsonc?'
          : String(binding)),
    )
  if (hasMethods(binding, 'idFromName', 'get'))
    return new DurableObjectSessionStore(namespace) as DurableObjectStore
  if (hasMethods(binding, 'prepare', 'batch'))
    configError(
      'durableObjectStore was given a D1 database: D1 cannot run a read and a write in one transaction, so ' +
        'compare-and-swap and the per-user cap would not be atomic. Bind the HallpassSessions Durable Object instead.',
    )
  if (hasMethods(binding, 'put', 'list'))
    configError(
      'durableObjectStore was given a Workers KV namespace: KV is eventually consistent (a logout or revocation ' +
        'reaches other locations up to a minute later, and two writes can both win). Bind the HallpassSessions ' +
        'Durable Object instead.',
    )
  return configError(
    'durableObjectStore needs a Durable Object namespace binding (with idFromName and get), such as env.SESSIONS',
  )
}

function hasMethods(value: object, ...names: string[]): boolean {
  return names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
}
