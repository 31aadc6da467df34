// Wraps a real store and counts calls per method, to prove which requests touch the store.
import type { Store } from '../../src/stores/types.ts'

export type StoreCalls = Record<
  'get' | 'create' | 'patch' | 'destroy' | 'listByUser' | 'revoke',
  number
>

/** The same store, with a live tally of calls; `down = true` makes every call fail like a lost connection. */
export function countingStore(inner: Store): {
  store: Store
  calls: StoreCalls
  setDown(down: boolean): void
} {
  const calls: StoreCalls = { get: 0, create: 0, patch: 0, destroy: 0, listByUser: 0, revoke: 0 }
  let down = false
  const wrap = <K extends keyof StoreCalls>(name: K) =>
    ((...args: unknown[]) => {
      calls[name] += 1
      if (down) return Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'))
      return (inner[name] as (...a: unknown[]) => Promise<unknown>).apply(inner, args)
    }) as Store[K]
  const store: Store = {
    kind: inner.kind,
    ...(inner.keepsDataVersion !== undefined && { keepsDataVersion: inner.keepsDataVersion }),
    get: wrap('get'),
    create: wrap('create'),
    patch: wrap('patch'),
    destroy: wrap('destroy'),
    listByUser: wrap('listByUser'),
    revoke: wrap('revoke'),
  }
  return { store, calls, setDown: (value) => void (down = value) }
}
