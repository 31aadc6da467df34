// redisStore({ durability }): the writes that protect users wait for a replica (WAIT on the write's own node), others don't.
import { Cluster, Redis } from 'ioredis'
import { createClient, createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sessions } from '../../src/index.ts'
import { userTag } from '../../src/crypto/token.ts'
import { redisStore, type RedisClientLike } from '../../src/stores/redis/index.ts'
import {
  ioredisReady,
  redisCli,
  startRedis,
  uniquePrefix,
  type RedisServer,
} from '../support/redis.ts'
import { keySlot, startReplicatedCluster, type ReplicatedCluster } from '../support/redis-ha.ts'
import type { TestClock } from '../support/clock.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const DURABILITY = { replicas: 1, timeoutMs: 500 }

async function login(sessions: Sessions, userId: string): Promise<string> {
  const session = await sessions.load()
  await session.login(userId)
  return cookiePair((await session.commit()).cookies[0])
}

/** How the work ended, and how long it took. */
async function outcome(work: () => Promise<unknown>): Promise<{ code: string; ms: number }> {
  const started = Date.now()
  try {
    await work()
    return { code: 'ok', ms: Date.now() - started }
  } catch (err) {
    return { code: (err as { code?: string }).code ?? String(err), ms: Date.now() - started }
  }
}

describe('durability, misconfigured: throws at construction with a fix-it message', () => {
  const client = createClient() // never connected: construction only

  it.each([
    [{ replicas: 0 }, /replicas must be an integer from 1/],
    [{ replicas: 1.5 }, /replicas must be an integer from 1/],
    [{ replicas: 1, timeoutMs: 0 }, /timeoutMs must be a whole number/],
    [{ replicas: 1, timeoutMs: 1000 }, /below commandTimeoutMs \(1000\).*raise commandTimeoutMs/],
    [{ replicas: 1, wait: true }, /unknown option "wait"/],
    [{ replicas: 1, allWrites: 'yes' }, /allWrites must be true or false/],
    ['on', /durability must be an object/],
  ])('%j', (durability, message) => {
    const options = { client, durability } as unknown as Parameters<typeof redisStore>[0]
    expect(() => redisStore(options)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) }),
    )
  })

  it('a client that cannot keep the WAIT on the write connection, or that reads from replicas, is refused', () => {
    const noPipeline = { sendCommand: async () => null, isOpen: true, isReady: true }
    expect(() => redisStore({ client: noPipeline, durability: DURABILITY })).toThrow(
      /durability needs a client that can send a pipeline/,
    )
    expect(() => redisStore({ client: noPipeline })).not.toThrow()
    const replicaReads = new Cluster([{ host: '127.0.0.1', port: 1 }], {
      scaleReads: 'slave',
      lazyConnect: true,
    })
    expect(() => redisStore({ client: replicaReads })).toThrow(/scaleReads: 'master'/)
    const replicaRole = new Redis({
      sentinels: [{ host: '127.0.0.1', port: 1 }],
      name: 'hp',
      role: 'slave',
      lazyConnect: true,
    })
    expect(() => redisStore({ client: replicaRole })).toThrow(/role: 'master'/)
  })
})

describe('durability on a primary with one replica', () => {
  let primary: RedisServer
  let replica: RedisServer
  const clients: Array<{ name: string; client: RedisClientLike; close(): Promise<unknown> }> = []

  beforeAll(async () => {
    ;[primary, replica] = await Promise.all([startRedis(), startRedis()])
    redisCli(primary.port, 'CONFIG', 'SET', 'repl-diskless-sync-delay', '0')
    redisCli(replica.port, 'REPLICAOF', '127.0.0.1', String(primary.port))
    const node = createClient({ url: primary.url })
    node.on('error', () => undefined)
    await node.connect()
    const io = new Redis(primary.port, '127.0.0.1')
    io.on('error', () => undefined)
    await ioredisReady(io)
    clients.push(
      { name: 'node-redis', client: node, close: () => node.close() },
      { name: 'ioredis', client: io, close: async () => io.disconnect() },
    )
    // Both sides: with diskless sync the primary marks the replica online only at its first ACK,
    // up to a second after the replica's link is up, and WAIT counts online replicas only.
    const synced = (): boolean =>
      redisCli(replica.port, 'INFO', 'replication').includes('link_status:up') &&
      /slave0:.*state=online/.test(redisCli(primary.port, 'INFO', 'replication'))
    for (let i = 0; !synced(); i++) {
      if (i > 400) throw new Error('the replica did not sync within 10 s')
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  })

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()))
    await Promise.allSettled([primary?.stop(), replica?.stop()])
  })

  const waits = (): number =>
    Number(
      /cmdstat_wait:calls=(\d+)/.exec(redisCli(primary.port, 'INFO', 'commandstats'))?.[1] ?? 0,
    )

  /** WAIT calls on the primary after each step of a user's life; `[0, 2, 3, 4, 5, 6]` when only protecting writes wait. */
  async function steps(sessions: Sessions, clock: TestClock, userId: string): Promise<number[]> {
    const counts: number[] = []
    const anonymous = await sessions.load()
    anonymous.set('cart', ['book'])
    const anonymousCookie = cookiePair((await anonymous.commit()).cookies[0])
    const data = await sessions.load({ cookie: anonymousCookie })
    data.set('cart', ['book', 'pen'])
    await data.commit()
    clock.advance(120_000)
    await (await sessions.load({ cookie: anonymousCookie })).commit() // a touch
    counts.push(waits()) // anonymous create, data write, touch: 0
    const session = await sessions.load({ cookie: await login(sessions, userId) })
    await session.regenerate()
    const signedIn = await sessions.load({
      cookie: cookiePair((await session.commit()).cookies[0]),
    })
    signedIn.set('theme', 'dark')
    await signedIn.commit()
    counts.push(waits()) // login, regenerate, a data write: 2
    await login(sessions, userId)
    counts.push(waits()) // a second login: 3
    expect(await sessions.revokeUserSessions(userId)).toBe(2)
    counts.push(waits()) // log out everywhere: 4
    const last = await sessions.load({ cookie: await login(sessions, userId) })
    counts.push(waits()) // a third login: 5
    await last.logout()
    await last.commit()
    counts.push(waits()) // a logout: 6
    return counts
  }

  it('login, regenerate, logout and revocation wait for the replica; data writes, touches and anonymous sessions do not', async () => {
    for (const { name, client } of clients) {
      const prefix = uniquePrefix()
      const { sessions, clock } = testSessions({
        store: redisStore({ client, prefix, durability: DURABILITY }),
        touchInterval: '1m',
      })
      await steps(sessions, clock, 'warm') // loads the scripts (a first EVALSHA is NOSCRIPT, then EVAL)
      redisCli(primary.port, 'CONFIG', 'RESETSTAT')
      expect(await steps(sessions, clock, 'ann'), name).toEqual([0, 2, 3, 4, 5, 6])
      const replicated = redisCli(replica.port, 'EXISTS', `${prefix}{${userTag('ann')}}u:ann`)
      expect(replicated.trim()).toBe('0')
    }
  })

  it('with the replica hung, protecting writes fail closed after timeoutMs, data writes stay fast, and it recovers', async () => {
    for (const { name, client } of clients) {
      const { sessions } = testSessions({
        store: redisStore({ client, prefix: uniquePrefix(), durability: DURABILITY }),
      })
      const cookie = await login(sessions, 'bob')
      replica.pause()
      try {
        const write = await outcome(async () => {
          const session = await sessions.load({ cookie })
          session.set('n', 1)
          await session.commit()
        })
        expect(write.code, name).toBe('ok')
        expect(write.ms, name).toBeLessThan(400)
        for (const work of [
          () => login(sessions, 'carl'),
          () => sessions.revokeUserSessions('bob'),
        ]) {
          const result = await outcome(work)
          expect(result.code, name).toBe('STORE_UNAVAILABLE')
          expect(result.ms, name).toBeGreaterThanOrEqual(490)
          expect(result.ms, name).toBeLessThan(2000)
        }
      } finally {
        replica.resume()
      }
      // The revocation that failed closed may still have reached the primary (WAIT does not undo a write).
      await sessions.revokeUserSessions('bob')
      expect((await sessions.load({ cookie })).userId).toBeNull()
      expect((await outcome(() => login(sessions, 'carl'))).code).toBe('ok')
    }
  })
})

describe('durability on a Cluster: WAIT runs on the primary that owns the slot', () => {
  let cluster: ReplicatedCluster
  const clients: Array<{ name: string; client: RedisClientLike; close(): Promise<unknown> }> = []

  beforeAll(async () => {
    cluster = await startReplicatedCluster({ nodeTimeoutMs: 2000, linkDelayMs: 0 })
    await cluster.healthy()
    const io = new Cluster([...cluster.rootNodes])
    io.on('error', () => undefined)
    await ioredisReady(io)
    const node = createCluster({
      rootNodes: cluster.rootNodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
    })
    node.on('error', () => undefined)
    await node.connect()
    clients.push(
      { name: 'ioredis Cluster', client: io, close: async () => io.disconnect() },
      { name: 'node-redis cluster', client: node, close: () => node.close() },
    )
  }, 60_000)

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()))
    await cluster?.stop()
  })

  it("a hung replica fails closed the logins of its primary's users only", async () => {
    const hung = await cluster.primaryOf('{a}')
    const slots = await cluster.slotsOf(hung)
    const on = (userId: string): boolean => {
      const slot = keySlot(`{${userTag(userId)}}`)
      return slots.some(([from, to]) => slot >= from && slot <= to)
    }
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`)
    const here = users.filter(on).slice(0, 3)
    const elsewhere = users.filter((u) => !on(u)).slice(0, 3)
    const replica = await cluster.replicaOf(hung)
    for (const { name, client } of clients) {
      const { sessions } = testSessions({
        store: redisStore({ client, prefix: uniquePrefix(), durability: DURABILITY }),
      })
      cluster.pause(replica, true)
      try {
        for (const userId of here)
          expect((await outcome(() => login(sessions, userId))).code, name).toBe(
            'STORE_UNAVAILABLE',
          )
        for (const userId of elsewhere)
          expect((await outcome(() => login(sessions, userId))).code, name).toBe('ok')
      } finally {
        cluster.pause(replica, false)
      }
    }
  }, 30_000)
})
