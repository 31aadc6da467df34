// The default memory store: one per process and secret, even when a framework bundles hallpass into several module instances.
import { createHash } from '../crypto/node-crypto.ts'
import type { KeyRing } from '../crypto/keyring.ts'
import { memoryStore } from '../stores/memory.ts'
import type { Store } from '../stores/types.ts'

/** Where the shared stores live: a registry symbol, so every copy of this module finds the same map. */
const REGISTRY = Symbol.for('hallpass.defaultMemoryStores')

type Registry = Map<string, Store>

/**
 * The store `createSessions` uses when none is given. Next.js, for one, evaluates the module that creates
 * the manager once per bundle (proxy.ts, server components, route handlers): each copy must find the
 * sessions the others wrote, so managers with the same secret share one memory store per process
 * (keyed by a hash of a key derived for this purpose, never the secret). A manager with an injected
 * `clock` gets a store of its own on that clock.
 */
export function defaultStore(keys: KeyRing, clock: (() => number) | undefined): Store {
  if (clock !== undefined) return memoryStore({ clock })
  const holder = globalThis as typeof globalThis & { [REGISTRY]?: Registry }
  const registry = (holder[REGISTRY] ??= new Map())
  const derived = keys.keys('default-store')
  const id = createHash('sha256')
    .update(derived.byId.get(derived.currentId) as Buffer)
    .digest('base64url')
    .slice(0, 22)
  let store = registry.get(id)
  if (!store) {
    store = memoryStore()
    registry.set(id, store)
  }
  return store
}
