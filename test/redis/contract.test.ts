// The shared Store contract on real Redis: node-redis and ioredis, standalone and a 3-master Cluster.
import { Cluster, Redis } from 'ioredis'
import { createClient, createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore, type RedisClientLike } from '../../src/stores/redis/index.ts'
import { testStore } from '../../src/testing/index.ts'
import { startCluster, startRedis, uniquePrefix, type RedisCluster, type RedisServer } from '../support/redis.ts'

let server: RedisServer
let cluster: RedisCluster
const clients: Record<string, RedisClientLike> = {}
const closers: Array<() => Promise<unknown>> = []

beforeAll(async () => {
  ;[server, cluster] = await Promise.all([startRedis(), startCluster()])
  const nodeRedis = createClient({ url: server.url })
  nodeRedis.on('error', () => undefined)
  await nodeRedis.connect()
  const nodeCluster = createCluster({ rootNodes: cluster.rootNodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })) })
  nodeCluster.on('error', () => undefined)
  await nodeCluster.connect()
  const ioredis = new Redis(server.port, '127.0.0.1')
  const ioCluster = new Cluster([...cluster.rootNodes])
  await Promise.all([waitReady(ioredis), waitReady(ioCluster)])
  Object.assign(clients, { 'node-redis standalone': nodeRedis, 'node-redis cluster': nodeCluster, 'ioredis standalone': ioredis, 'ioredis Cluster': ioCluster })
  closers.push(() => nodeRedis.close(), () => nodeCluster.close(), () => ioredis.quit(), () => ioCluster.quit())
})

afterAll(async () => {
  await Promise.allSettled(closers.map((close) => close()))
  await Promise.allSettled([server?.stop(), cluster?.stop()])
})

async function waitReady(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') return
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve)
    client.once('error', reject)
  })
}

for (const name of ['node-redis standalone', 'ioredis standalone', 'node-redis cluster', 'ioredis Cluster']) {
  testStore(name, () => {
    const client = clients[name]
    if (!client) throw new Error(`${name} client was not started`)
    const store = redisStore({ client, prefix: uniquePrefix() })
    return { store, cleanup: () => store.close() }
  })
}

describe('client detection', () => {
  it('recognises each client kind and whether it is a cluster', async () => {
    const { RedisDriver } = await import('../../src/stores/redis/client.ts')
    const kinds = Object.entries(clients).map(([name, client]) => {
      const driver = new RedisDriver(client, 1000)
      driver.release()
      return [name, `${driver.library} ${driver.cluster ? 'cluster' : 'standalone'}`]
    })
    expect(Object.fromEntries(kinds)).toEqual({
      'node-redis standalone': 'node-redis standalone',
      'node-redis cluster': 'node-redis cluster',
      'ioredis standalone': 'ioredis standalone',
      'ioredis Cluster': 'ioredis cluster',
    })
  })

  it('refuses anything else, and bad options, at construction', () => {
    expect(() => redisStore({ client: {} as RedisClientLike })).toThrow(/node-redis|ioredis/)
    const client = clients['ioredis standalone'] as RedisClientLike
    expect(() => redisStore({ client, prefix: 'a{b}' })).toThrow(/prefix/)
    expect(() => redisStore({ client, commandTimeout: 0 })).toThrow(/commandTimeout/)
    expect(() => redisStore({ client, extra: 1 } as never)).toThrow(/unknown option/)
  })
})
