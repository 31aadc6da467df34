// The shared Store contract on real Redis: node-redis 5 and 6 and ioredis, standalone and a 3-master Cluster.
// Time moves by aging the keys inside Redis (test/support/redis-time.ts), so no TTL case waits.
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisDriver } from '../../src/stores/redis/client.ts'
import { redisStore, type RedisClientLike } from '../../src/stores/redis/index.ts'
import { testStore } from '../../src/testing/index.ts'
import { CLIENT_KINDS, startClients, uniquePrefix, type RedisClients } from '../support/redis.ts'
import { RedisTime } from '../support/redis-time.ts'

let redis: RedisClients | undefined
/** node-redis speaking RESP3, where HGETALL answers a map instead of a flat list. */
let resp3: { client: RedisClientLike; close: () => Promise<void> } | undefined
let standaloneTime: RedisTime | undefined
let clusterTime: RedisTime | undefined

beforeAll(async () => {
  redis = await startClients()
  standaloneTime = new RedisTime([redis.server.port])
  clusterTime = new RedisTime(redis.cluster.ports)
  const client = createClient({ url: redis.server.url, RESP: 3 })
  client.on('error', () => undefined)
  await client.connect()
  resp3 = { client, close: () => client.close() }
})

afterAll(async () => {
  await standaloneTime?.close()
  await clusterTime?.close()
  await resp3?.close()
  await redis?.stop()
})

function client(kind: (typeof CLIENT_KINDS)[number]): RedisClientLike {
  if (!redis) throw new Error('Redis servers were not started')
  return redis.clients[kind]
}

/** Ages this prefix's keys on the deployment the client talks to. */
function advancer(
  kind: (typeof CLIENT_KINDS)[number],
  prefix: string,
): (ms: number) => Promise<void> {
  const time = /cluster/i.test(kind) ? clusterTime : standaloneTime
  if (!time) throw new Error('Redis servers were not started')
  return (ms) => time.advance(prefix, ms)
}

/**
 * A generous command timeout: the contract's 1,000 concurrent patches saturate a small shared machine on purpose, and
 * a reply can then take over the default second. Outages and timeouts are tested in faults.test.ts.
 */
const COMMAND_TIMEOUT = 15_000

for (const kind of CLIENT_KINDS) {
  testStore(kind, () => {
    const prefix = uniquePrefix()
    const store = redisStore({ client: client(kind), prefix, commandTimeoutMs: COMMAND_TIMEOUT })
    return { store, advance: advancer(kind, prefix), cleanup: () => store.close() }
  })
}

testStore('node-redis standalone, RESP3', () => {
  if (!resp3) throw new Error('RESP3 client was not started')
  const prefix = uniquePrefix()
  const store = redisStore({ client: resp3.client, prefix, commandTimeoutMs: COMMAND_TIMEOUT })
  return { store, advance: advancer('node-redis standalone', prefix), cleanup: () => store.close() }
})

describe('redisStore construction', () => {
  it('recognises each client kind and whether it is a cluster', () => {
    const detected = CLIENT_KINDS.map((kind) => {
      const driver = new RedisDriver(client(kind), 1000)
      driver.release()
      return `${driver.library} ${driver.cluster ? 'cluster' : 'standalone'}`
    })
    expect(detected).toEqual([
      'node-redis standalone',
      'ioredis standalone',
      'node-redis cluster',
      'ioredis cluster',
      'node-redis standalone',
      'node-redis cluster',
    ])
  })

  it('arms no per-command timer in node-redis 6 (its default 5 s timeout would add an AbortSignal per command)', async () => {
    const original = AbortSignal.timeout
    let armed = 0
    AbortSignal.timeout = (ms: number) => {
      armed += 1
      return original.call(AbortSignal, ms)
    }
    try {
      const store = redisStore({
        client: client('node-redis 6 standalone'),
        prefix: uniquePrefix(),
      })
      for (let i = 0; i < 20; i++) expect(await store.get('0000aaaaaaaaaaaaaaaaaaaaaa')).toBeNull()
      await store.close()
      const direct = client('node-redis 6 standalone') as unknown as {
        sendCommand(args: string[]): Promise<unknown>
      }
      await direct.sendCommand(['PING']) // the same client without our options does arm one: the check can fail
    } finally {
      AbortSignal.timeout = original
    }
    expect(armed).toBe(1)
  })

  it('refuses other clients and bad options with CONFIG_INVALID', () => {
    const good = client('ioredis standalone')
    for (const bad of [
      () => redisStore({ client: {} as RedisClientLike }),
      () => redisStore({ client: good, prefix: 'a{b}' }),
      () => redisStore({ client: good, commandTimeoutMs: 0 }),
      () => redisStore({ client: good, extra: 1 } as never),
    ]) {
      expect(bad).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    }
  })
})
