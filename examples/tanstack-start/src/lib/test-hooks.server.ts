// TEST HOOKS for hallpass's own test suite (test/frameworks): inert unless HALLPASS_TEST_HOOKS names a directory.
// Not part of the example: an app of yours needs none of this file.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Store } from 'hallpass'

const dir = process.env.HALLPASS_TEST_HOOKS

/** The switches a test turns on by creating a file of that name in the hooks directory. */
export type TestHook = 'throw-after-login' | 'store-writes-down'

/** Whether the test suite has switched `name` on; always false outside hallpass's tests. */
export function testHook(name: TestHook): boolean {
  return dir !== undefined && dir !== '' && existsSync(join(dir, name))
}

const WRITES = new Set(['create', 'patch', 'destroy', 'revoke'])

/** `store`, whose writes fail like an unreachable server while `store-writes-down` is on (reads still work). */
export function withTestOutage(store: Store): Store {
  if (!dir) return store
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof value !== 'function' || !WRITES.has(String(property))) return value
      return (...args: unknown[]) =>
        testHook('store-writes-down')
          ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379 (test hook: store down)'))
          : (value as (...a: unknown[]) => unknown).apply(target, args)
    },
  })
}

/** The hooks' store, one per process however often the framework evaluates this module (Next does). */
const SHARED_STORE = Symbol.for('hallpass.example.testStore')

function isStore(value: unknown): value is Store {
  return typeof value === 'object' && value !== null && 'kind' in value && 'get' in value
}

/** The store made by `makeStore` behind the outage switch, created once per process. */
function sharedStore(makeStore: () => Store): Store {
  const found: unknown = Reflect.get(globalThis, SHARED_STORE)
  if (isStore(found)) return found
  const store = withTestOutage(makeStore())
  Reflect.set(globalThis, SHARED_STORE, store)
  return store
}

/**
 * The options the test hooks add to createSessions(): with HALLPASS_TEST_HOOKS, a store made by `makeStore`
 * (one per process) behind the outage switch; device binding on (a 10 s bound cookie) when the suite starts the
 * app with HALLPASS_TEST_DEVICE_BOUND=1. Nothing otherwise: the example keeps its default store.
 */
export function testSessionOptions(makeStore: () => Store): {
  store?: Store
  deviceBound?: { boundCookieTtl: number }
} {
  return {
    ...(dir ? { store: sharedStore(makeStore) } : {}),
    ...(process.env.HALLPASS_TEST_DEVICE_BOUND === '1' && { deviceBound: { boundCookieTtl: 10 } }),
  }
}

/** The integration's options under test: `trustProxy` when the suite serves the app through its TLS proxy. */
export function testIntegrationOptions(): { trustProxy?: boolean } {
  return process.env.HALLPASS_TEST_TRUST_PROXY === '1' ? { trustProxy: true } : {}
}
