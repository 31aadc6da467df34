// #25: nothing an app builds at module scope starts a timer (Workers refuse them there); stores sweep after first use.
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSessions } from '../../src/index.ts'
import { createCsrf } from '../../src/csrf/index.ts'
import { sealedCookies } from '../../src/sealed/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import { createLoginThrottle } from '../../src/throttle/index.ts'
import { testRecord } from '../../src/testing/index.ts'
import { testClock } from '../support/clock.ts'
import { TEST_SECRET } from '../support/sessions.ts'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/** Runs `build` with timers refused the way workerd refuses them in global scope. */
function inGlobalScope<T>(build: () => T): T {
  const saved = { setInterval: globalThis.setInterval, setTimeout: globalThis.setTimeout }
  const refuse = (): never => {
    throw new Error('Disallowed operation called within global scope: setting a timeout')
  }
  globalThis.setInterval = refuse as unknown as typeof setInterval
  globalThis.setTimeout = refuse as unknown as typeof setTimeout
  try {
    return build()
  } finally {
    Object.assign(globalThis, saved)
  }
}

describe('timers start on first use (#25)', () => {
  it('builds the manager, default store, stores and features at module scope, no timer (Workers)', async () => {
    const built = inGlobalScope(() => {
      const sessions = createSessions({ secret: `${TEST_SECRET}-global-scope` })
      return {
        sessions,
        memory: memoryStore(),
        withStore: createSessions({ secret: TEST_SECRET, store: memoryStore() }),
        sealed: createSessions({
          secret: TEST_SECRET,
          store: sealedCookies({ revocation: memoryStore() }),
        }),
        sqlite: sqliteStore({ database: ':memory:' }),
        csrf: createCsrf(sessions),
        throttle: createLoginThrottle(sessions),
      }
    })
    const session = await built.sessions.load({})
    await session.login('alice')
    expect((await session.commit()).cookies).toHaveLength(1)
    await Promise.all([built.memory.close(), built.sqlite.close()])
    await Promise.all([built.sessions.store.close?.(), built.withStore.store.close?.()])
  })

  it('the memory store arms its sweep with the first session, unref’d, and never again after close()', async () => {
    const spy = vi.spyOn(globalThis, 'setInterval')
    const clock = testClock()
    const store = memoryStore({ clock, sweepIntervalMs: 1_000 })
    expect(spy).not.toHaveBeenCalled()
    await store.get('anything')
    expect(spy).not.toHaveBeenCalled()
    await store.create(testRecord(), { ttl: 60_000 })
    await store.create(testRecord(), { ttl: 60_000 })
    expect(spy).toHaveBeenCalledTimes(1)
    expect((spy.mock.results[0]!.value as NodeJS.Timeout).hasRef()).toBe(false)
    await store.close()
    await store.create(testRecord(), { ttl: 60_000 })
    expect(spy).toHaveBeenCalledTimes(1) // closed for good: no timer after close()
  })

  it('the memory store’s sweep removes expired entries after first use (without anyone reading them)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const clock = testClock()
    const store = memoryStore({ clock, sweepIntervalMs: 1_000 })
    expect(vi.getTimerCount()).toBe(0)
    for (let i = 0; i < 5; i++) await store.create(testRecord(), { ttl: 10_000 })
    expect(vi.getTimerCount()).toBe(1)
    clock.advance(20_000)
    vi.advanceTimersByTime(1_000)
    expect(store.size).toBe(0)
    await store.close()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('the SQLite store arms its purge with the first read or write, and purges from then on', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const clock = testClock()
    const database = new Database(':memory:')
    const store = sqliteStore({ database, clock, purgeIntervalMs: 1_000 })
    expect(vi.getTimerCount()).toBe(0)
    await store.create(testRecord(), { ttl: 10_000 })
    expect(vi.getTimerCount()).toBe(1)
    const rows = () =>
      (database.prepare('SELECT COUNT(*) AS n FROM hallpass_sessions').get() as { n: number }).n
    expect(rows()).toBe(1)
    clock.advance(20_000)
    vi.advanceTimersByTime(1_000)
    expect(rows()).toBe(0)
    await store.close()
    expect(vi.getTimerCount()).toBe(0)
    database.close()
  })
})
