// DBSC end to end on the persistent stores: the key survives in SQLite and Redis.
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore, type RedisClientLike } from '../../src/stores/redis/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import type { Store } from '../../src/stores/types.ts'
import { startRedis, uniquePrefix, type RedisServer } from '../support/redis.ts'
import { proof } from './agent.ts'
import { reasons, start } from './app.ts'

let redis: { server: RedisServer; client: RedisClientLike; close: () => Promise<void> } | undefined
beforeAll(async () => {
  const server = await startRedis()
  const client = createClient({ url: server.url })
  client.on('error', () => undefined)
  await client.connect()
  redis = { server, client, close: async () => (await client.close(), await server.stop()) }
})
afterAll(async () => redis?.close())

const STORES: Record<string, () => Store> = {
  sqlite: () => sqliteStore({ database: ':memory:' }),
  redis: () =>
    redisStore({
      client: (redis as NonNullable<typeof redis>).client,
      prefix: uniquePrefix('dbsc'),
    }),
}

for (const [name, makeStore] of Object.entries(STORES)) {
  describe(`DBSC on ${name}`, () => {
    it('binds, refreshes, refuses a stolen copy and a replay; a re-issue waits for the refresh', async () => {
      const store = makeStore()
      const t = await start({ store })
      const device = t.agent()
      await device.request('POST', '/login')
      const record = await store.get((await device.request('GET', '/open')).json.id)
      expect(record !== 'corrupt' && record?.device).toMatchObject({
        alg: 'ES256',
        jwk: { kty: 'EC', crv: 'P-256' },
      })
      const stolen = device.cookie as string
      t.clock.advance(10 * 60_000 + 1)
      // Sent back, its bound cookie removed
      expect((await t.agent().send('GET', '/open', { cookie: stolen })).status).toBe(307)
      expect((await device.request('GET', '/open')).json.userId).toBe('alice') // refreshed with the key
      const replay = await device.refreshOnce(device.bound!, { jwt: device.sent.at(-1) as string })
      expect(replay.json.error.reason).toBe('challenge_replayed')
      const fresh = await device.refreshOnce(device.bound!, {
        jwt: await proof(device.key!, { jti: device.bound!.challenge }),
      })
      expect(fresh.status).toBe(200)
      expect((await t.sessions.listSessions('alice'))[0]?.deviceBound).toBe(true)
      // A role change waits on the binding in this store until the device refreshes; then the device gets the new id.
      const before = (await device.request('GET', '/open')).json.id
      const regenerated = await device.request('POST', '/regenerate?roles=admin')
      expect(regenerated.json).toMatchObject({ id: before, roles: ['admin'] })
      const staged = await store.get(before)
      expect(staged !== 'corrupt' && staged?.device?.pending).toMatchObject({ roles: ['admin'] })
      const after = await device.request('GET', '/open')
      expect(after.json).toMatchObject({ userId: 'alice', roles: ['admin'] })
      const moved = await store.get(after.json.id)
      expect(moved !== 'corrupt' && moved?.device).toMatchObject({
        id: device.bound?.id,
        alg: 'ES256',
      })
      expect(moved !== 'corrupt' && moved?.device?.pending).toBeUndefined()
      expect(await store.get(before)).not.toMatchObject({ userId: 'alice' }) // gone (a tombstone at most)
      expect(reasons(t.events)).toEqual(['bound_cookie_expired', 'challenge_replayed'])
      if (name.includes('before'))
        expect(await store.get('oldxold0000000000000000000')).toMatchObject({
          userId: 'u',
          data: { a: 1 },
        })
      await store.close?.()
    })
  })
}
