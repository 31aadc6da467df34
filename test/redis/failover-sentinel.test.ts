// Failover on real servers: a primary, a replica and three sentinels (ioredis and node-redis), SIGKILL after a revoke.
import { Redis } from 'ioredis'
import { createSentinel } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ioredisReady, uniquePrefix } from '../support/redis.ts'
import { MASTER_NAME, startSentinelSet, type SentinelSet } from '../support/redis-ha.ts'
import {
  describeFigures,
  doors,
  failoverRounds,
  LINK_DELAY_MS,
  ROUNDS,
  TIME_LIMIT,
  type Client,
  type Topology,
} from '../support/redis-failover.ts'

describe('Sentinel: a primary, a replica, three sentinels', () => {
  let set: SentinelSet
  const clients: Client[] = []

  beforeAll(async () => {
    set = await startSentinelSet({ linkDelayMs: LINK_DELAY_MS, downAfterMs: 500 })
    for (let i = 0; i < 2; i++) {
      const io = new Redis({
        sentinels: [...set.sentinels],
        name: MASTER_NAME,
        retryStrategy: (times) => Math.min(times * 50, 500),
      })
      io.on('error', () => undefined)
      await ioredisReady(io)
      clients.push({ name: `ioredis ${i}`, client: io, close: async () => io.disconnect() })
      const node = createSentinel({
        name: MASTER_NAME,
        sentinelRootNodes: set.sentinels.map((s) => ({ host: s.host, port: s.port })),
      })
      node.on('error', () => undefined)
      await node.connect()
      clients.push({ name: `node-redis ${i}`, client: node, close: () => node.close() })
    }
  }, 60_000)

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()))
    await set?.stop()
  })

  const topology = (): Topology => ({
    healthy: () => set.healthy(),
    target: () => set.primaryPort(),
    onTarget: () => true,
    crash: (port) => set.crash(port),
    failedOver: (port) => set.failedOver(port),
    rejoin: (port) => set.rejoin(port),
  })

  it(
    'with durability, no acknowledged revocation or login is undone by a failover',
    async () => {
      const figures = await failoverRounds(
        doors(clients, true, uniquePrefix('d')),
        topology(),
        ROUNDS,
        'sentinel+wait',
      )
      console.log(
        describeFigures(`Sentinel, durability { replicas: 1 }, link +${LINK_DELAY_MS} ms`, figures),
      )
      expect(figures.otherErrors).toEqual([])
      expect(figures.revokedBack).toBe(0)
      expect(figures.loginsLost).toBe(0)
    },
    TIME_LIMIT,
  )

  it(
    'without durability, records what a failover undoes',
    async () => {
      const figures = await failoverRounds(
        doors(clients, false, uniquePrefix('p')),
        topology(),
        ROUNDS,
        'sentinel',
      )
      console.log(describeFigures(`Sentinel, no durability, link +${LINK_DELAY_MS} ms`, figures))
      expect(figures.otherErrors).toEqual([])
      expect(figures.revoked).toBeGreaterThan(0)
    },
    TIME_LIMIT,
  )
})
