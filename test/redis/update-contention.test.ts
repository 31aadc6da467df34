// 1,000 concurrent update() increments on one session in one process all succeed, on every store (serialized per session in the process).
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/stores/memory.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import type { Store } from '../../src/stores/types.ts'
import { CLIENT_KINDS, startClients, uniquePrefix, type RedisClients } from '../support/redis.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

let redis: RedisClients | undefined
beforeAll(async () => {
  redis = await startClients()
})
afterAll(() => redis?.stop())

const STORES: Record<string, () => Store> = {
  memory: () => memoryStore(),
  sqlite: () => sqliteStore({ database: new Database(':memory:') }),
  ...Object.fromEntries(
    CLIENT_KINDS.map((kind) => [
      `redis (${kind})`,
      () =>
        redisStore({
          client: (redis as RedisClients).clients[kind],
          prefix: uniquePrefix(),
          commandTimeoutMs: 15_000,
        }),
    ]),
  ),
}

describe.each(Object.keys(STORES))('update() under contention on %s', (name) => {
  it('1,000 concurrent increments, each from its own request, all succeed and none is lost', async () => {
    const { sessions } = testSessions({ store: (STORES[name] as () => Store)() })
    const first = await sessions.load()
    await first.login('alice')
    const cookie = cookiePair((await first.commit()).cookies[0])
    const requests = await Promise.all(
      Array.from({ length: 1000 }, () => sessions.load({ cookie })),
    )
    const results = await Promise.allSettled(
      requests.map((s) => s.update((d) => void (d.n = Number(d.n ?? 0) + 1))),
    )
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    expect((await sessions.load({ cookie })).get('n')).toBe(1000)
  }, 60_000)
})
