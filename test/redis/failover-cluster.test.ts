// Failover on real servers: a Cluster with a replica per primary (ioredis and node-redis), SIGKILL after a revoke.
import { Cluster } from 'ioredis'
import { createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userTag } from '../../src/crypto/token.ts'
import { ioredisReady, uniquePrefix } from '../support/redis.ts'
import { keySlot, startReplicatedCluster, type ReplicatedCluster } from '../support/redis-ha.ts'
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

describe('Cluster: three primaries, a replica each', () => {
  let cluster: ReplicatedCluster
  const clients: Client[] = []

  beforeAll(async () => {
    cluster = await startReplicatedCluster({ nodeTimeoutMs: 500, linkDelayMs: LINK_DELAY_MS })
    await cluster.healthy()
    const io = new Cluster([...cluster.rootNodes], {
      clusterRetryStrategy: (times) => Math.min(times * 50, 500),
    })
    io.on('error', () => undefined)
    await ioredisReady(io)
    clients.push({ name: 'ioredis Cluster', client: io, close: async () => io.disconnect() })
    const node = createCluster({
      rootNodes: cluster.rootNodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
    })
    node.on('error', () => undefined)
    await node.connect()
    clients.push({ name: 'node-redis cluster', client: node, close: () => node.close() })
  }, 60_000)

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()))
    await cluster?.stop()
  })

  /** Each round crashes the primary of the next hash tag, and uses only users whose keys live there. */
  const topology = (): Topology => {
    let round = 0
    let slots: Array<[number, number]> = []
    let probe = ''
    return {
      healthy: () => cluster.healthy(),
      target: async () => {
        probe = `{${userTag(`round-${(round += 1)}`)}}`
        const port = await cluster.primaryOf(probe)
        slots = await cluster.slotsOf(port)
        return port
      },
      onTarget: (userId) => {
        const slot = keySlot(`{${userTag(userId)}}`)
        return slots.some(([from, to]) => slot >= from && slot <= to)
      },
      crash: (port) => cluster.crash(port),
      failedOver: (port) => cluster.failedOver(probe, port),
      rejoin: (port) => cluster.rejoin(port),
    }
  }

  it(
    'with durability, no acknowledged revocation or login is undone by a failover',
    async () => {
      const prefix = uniquePrefix('cd')
      const figures = await failoverRounds(
        doors(clients, true, prefix),
        topology(),
        ROUNDS,
        'cluster+wait',
      )
      console.log(
        describeFigures(`Cluster, durability { replicas: 1 }, link +${LINK_DELAY_MS} ms`, figures),
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
      const prefix = uniquePrefix('cp')
      const figures = await failoverRounds(
        doors(clients, false, prefix),
        topology(),
        ROUNDS,
        'cluster',
      )
      console.log(describeFigures(`Cluster, no durability, link +${LINK_DELAY_MS} ms`, figures))
      expect(figures.otherErrors).toEqual([])
      expect(figures.revoked).toBeGreaterThan(0)
    },
    TIME_LIMIT,
  )
})
