// Test harness for failover: a primary, a replica and three sentinels, and a Cluster with a replica per primary.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  freePort,
  HOST,
  live,
  requireRedisBinaries,
  spawnServer,
  stopProcess,
  waitForPing,
} from './redis.ts'

/** The name the sentinels monitor the primary under. */
export const MASTER_NAME = 'hp'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** redis-cli, asynchronously: the fronts run in this process and must keep forwarding meanwhile. */
function redisCli(args: string[], timeout = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { encoding: 'utf8', timeout }, (err, stdout) =>
      err
        ? reject(new Error(`redis-cli ${args.join(' ')}: ${stdout}`, { cause: err }))
        : resolve(stdout.trim()),
    )
  })
}

function cli(port: number, ...args: string[]): Promise<string> {
  return redisCli(['-h', HOST, '-p', String(port), ...args], 5_000)
}

/** Polls `check` every 25 ms until it is true; throws after `limitMs` saying what did not happen. */
export async function until(
  what: string,
  limitMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + limitMs
  for (;;) {
    try {
      if (await check()) return
    } catch {
      // not there yet (a node restarting, a sentinel still electing)
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${limitMs} ms`)
    await sleep(25)
  }
}

/**
 * The network in front of one node: everyone reaches it on `port` through this proxy, which forwards at once,
 * except a replication stream (a connection that has sent `REPLCONF`), which it delays by `delayMs` each way, as
 * a replica in another zone sees it. `cut()` is the node's host dying: what is still on the wire is lost.
 */
class Front {
  private readonly sockets = new Set<Socket>()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private server: Server | undefined

  constructor(
    readonly port: number,
    private readonly delayMs: number,
  ) {}

  async open(targetPort: number): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = connect({ host: HOST, port: targetPort })
      const state = { replication: false }
      this.pipe(inbound, outbound, state, true)
      this.pipe(outbound, inbound, state, false)
    })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, HOST, resolve)
    })
  }

  private pipe(from: Socket, to: Socket, state: { replication: boolean }, inbound: boolean): void {
    this.sockets.add(from)
    from.on('data', (chunk: Buffer) => {
      if (inbound && !state.replication && chunk.includes('REPLCONF')) state.replication = true
      if (!state.replication || this.delayMs === 0) return void to.write(chunk)
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        to.write(chunk)
      }, this.delayMs)
      this.timers.add(timer)
    })
    from.on('error', () => undefined)
    from.on('close', () => {
      this.sockets.delete(from)
      to.destroy()
    })
  }

  cut(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    for (const socket of this.sockets) socket.destroy()
    this.server?.close()
    this.server = undefined
  }
}

interface Node {
  /** The port everyone uses (the front); the server itself listens on `internal`. */
  readonly port: number
  readonly internal: number
  readonly dir: string
  readonly front: Front
  child: ChildProcess | undefined
}

/** Starts (or restarts, empty) a node behind its front, replicating from `primaryPort` when given. */
async function startNode(node: Node, extra: string[], primaryPort?: number): Promise<void> {
  const replicaOf = primaryPort === undefined ? [] : ['--replicaof', HOST, String(primaryPort)]
  node.child = await spawnServer(node.internal, node.dir, [
    ...replicaOf,
    '--replica-announce-ip',
    HOST,
    '--replica-announce-port',
    String(node.port),
    // A restarted replica syncs at once instead of waiting 5 s for others (Redis's default delay).
    '--repl-diskless-sync-delay',
    '0',
    ...extra,
  ])
  await node.front.open(node.internal)
}

async function newNode(root: string, delayMs: number, withBus = false): Promise<Node> {
  const port = await freePort(withBus)
  const internal = await freePort(withBus)
  const dir = join(root, String(port))
  mkdirSync(dir)
  return { port, internal, dir, front: new Front(port, delayMs), child: undefined }
}

/** One primary, one replica and three sentinels on loopback; the replication stream may carry a delay. */
export interface SentinelSet {
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>
  /** Waits until the primary has its replica in sync and every sentinel agrees on it. */
  healthy(limitMs?: number): Promise<void>
  /** SIGKILL of the node on `port`, and the loss of what it still had on the wire. */
  crash(port: number): void
  /** Waits until every sentinel names a primary other than `port`. */
  failedOver(port: number, limitMs?: number): Promise<void>
  /** Starts the crashed node again, empty, as a replica of the current primary. */
  rejoin(port: number): Promise<void>
  stop(): Promise<void>
}

/** Starts the set-up; `downAfterMs` is the sentinels' down-after-milliseconds. */
export async function startSentinelSet(options: {
  linkDelayMs: number
  downAfterMs: number
}): Promise<SentinelSet> {
  requireRedisBinaries()
  const probe = spawnSync('redis-sentinel', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0)
    throw new Error(
      'redis-sentinel is not installed: the failover tests need it (Debian: apt-get install redis-sentinel)',
    )
  const root = mkdtempSync(join(tmpdir(), 'hallpass-sentinel-'))
  const nodes: Node[] = []
  const sentinels: Array<{ port: number; child: ChildProcess }> = []
  const primaryPort = async (): Promise<number> => {
    const answers = await Promise.all(
      sentinels.map(
        async (s) =>
          (await cli(s.port, 'SENTINEL', 'get-master-addr-by-name', MASTER_NAME)).split('\n')[1],
      ),
    )
    if (new Set(answers).size !== 1) throw new Error(`sentinels disagree: ${answers.join(', ')}`)
    return Number(answers[0])
  }
  const nodeAt = (port: number): Node => {
    const node = nodes.find((n) => n.port === port)
    if (!node) throw new Error(`no node on port ${port}`)
    return node
  }
  const stop = async (): Promise<void> => {
    await Promise.all(sentinels.map((s) => stopProcess(s.child, 'SIGKILL')))
    for (const node of nodes) node.front.cut()
    await Promise.all(nodes.map((n) => stopProcess(n.child, 'SIGKILL')))
    rmSync(root, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < 2; i++) {
      const node = await newNode(root, options.linkDelayMs)
      nodes.push(node)
      await startNode(node, [], i === 0 ? undefined : (nodes[0] as Node).port)
    }
    for (let i = 0; i < 3; i++) {
      const port = await freePort()
      const conf = join(root, `sentinel-${port}.conf`)
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          'protected-mode no',
          `dir ${root}`,
          `sentinel monitor ${MASTER_NAME} ${HOST} ${(nodes[0] as Node).port} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} ${options.downAfterMs}`,
          `sentinel failover-timeout ${MASTER_NAME} 2000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
      )
      const child = spawn('redis-sentinel', [conf], { stdio: 'ignore' })
      live.add(child)
      child.once('exit', () => live.delete(child))
      sentinels.push({ port, child })
      await waitForPing(port, 10_000)
    }
  } catch (err) {
    await stop()
    throw err
  }
  const set: SentinelSet = {
    sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
    primaryPort,
    healthy: async (limitMs = 20_000) => {
      await until(
        'a primary with a replica in sync, known to every sentinel',
        limitMs,
        async () => {
          const primary = await primaryPort()
          const info = await cli(primary, 'INFO', 'replication')
          if (!info.includes('role:master') || !/slave0:.*state=online/.test(info)) return false
          const replica = nodes.find((n) => n.port !== primary) as Node
          const replicaInfo = await cli(replica.port, 'INFO', 'replication')
          if (!replicaInfo.includes('master_link_status:up')) return false
          const known = await Promise.all(
            sentinels.map((s) => cli(s.port, 'SENTINEL', 'replicas', MASTER_NAME)),
          )
          return known.every((list) => list.includes(String(replica.port)))
        },
      )
    },
    crash: (port) => {
      const node = nodeAt(port)
      node.front.cut() // the host is gone, with what it still had on the wire
      node.child?.kill('SIGKILL')
    },
    failedOver: async (port, limitMs = 20_000) => {
      await until(
        `a failover away from port ${port}`,
        limitMs,
        async () => (await primaryPort()) !== port,
      )
    },
    rejoin: async (port) => {
      const node = nodeAt(port)
      node.front.cut()
      await stopProcess(node.child, 'SIGKILL')
      await startNode(node, [], await primaryPort())
    },
    stop,
  }
  return set
}

/** The Redis Cluster slot of `key`: CRC16 (XMODEM) of its hash tag, or of the whole key, modulo 16384. */
export function keySlot(key: string): number {
  const open = key.indexOf('{')
  const close = open === -1 ? -1 : key.indexOf('}', open + 1)
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key
  let crc = 0
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8
    for (let i = 0; i < 8; i++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc % 16384
}

/** A Cluster of three primaries, each with one replica, on loopback. */
export interface ReplicatedCluster {
  readonly rootNodes: ReadonlyArray<{ host: string; port: number }>
  /** The port of the primary that owns `key`'s slot now. */
  primaryOf(key: string): Promise<number>
  /** The slot ranges the primary on `port` serves now. */
  slotsOf(port: number): Promise<Array<[number, number]>>
  /** Waits until all 16384 slots are served and every primary has a replica in sync. */
  healthy(limitMs?: number): Promise<void>
  /** The port of the replica of the primary on `port`. */
  replicaOf(port: number): Promise<number>
  /** SIGSTOP (true) or SIGCONT (false) of the node on `port`: a hung host. */
  pause(port: number, paused: boolean): void
  /** SIGKILL of one primary. */
  crash(port: number): void
  /** Waits until `key`'s slot is served by a primary other than `port`. */
  failedOver(key: string, port: number, limitMs?: number): Promise<void>
  /** Starts the crashed node again (empty): it rejoins as a replica of the primary that replaced it. */
  rejoin(port: number): Promise<void>
  stop(): Promise<void>
}

/** Starts six cluster nodes and joins them with one replica per primary; `nodeTimeoutMs` is cluster-node-timeout. */
export async function startReplicatedCluster(options: {
  nodeTimeoutMs: number
  linkDelayMs: number
}): Promise<ReplicatedCluster> {
  requireRedisBinaries()
  const root = mkdtempSync(join(tmpdir(), 'hallpass-ha-cluster-'))
  const nodes: Node[] = []
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    String(options.nodeTimeoutMs),
    '--cluster-replica-validity-factor',
    '0',
  ]
  const announce = (node: Node): string[] => [
    '--cluster-announce-ip',
    HOST,
    '--cluster-announce-port',
    String(node.port),
    '--cluster-announce-bus-port',
    String(node.internal + 10_000),
  ]
  const stop = async (): Promise<void> => {
    for (const node of nodes) node.front.cut()
    await Promise.all(nodes.map((n) => stopProcess(n.child, 'SIGKILL')))
    rmSync(root, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < 6; i++) {
      const node = await newNode(root, options.linkDelayMs, true)
      nodes.push(node)
      await startNode(node, [...args, ...announce(node)])
    }
    await redisCli([
      '--cluster',
      'create',
      ...nodes.map((n) => `${HOST}:${n.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ])
  } catch (err) {
    await stop()
    throw err
  }
  const anyLive = (): number => {
    const node = nodes.find((n) => n.child && n.child.exitCode === null && !n.child.signalCode)
    if (!node) throw new Error('no cluster node is running')
    return node.port
  }
  /** Each live primary's port and slot ranges, from CLUSTER NODES. */
  const primaries = async (): Promise<Array<{ port: number; slots: Array<[number, number]> }>> => {
    const lines = (await cli(anyLive(), 'CLUSTER', 'NODES')).split('\n')
    const found: Array<{ port: number; slots: Array<[number, number]> }> = []
    for (const line of lines) {
      const [, address, flags, , , , , state, ...ranges] = line.split(' ')
      if (!flags?.includes('master') || flags.includes('fail') || state !== 'connected') continue
      const slots = ranges
        .filter((range) => /^\d/.test(range))
        .map((range) => {
          const [from, to = from] = range.split('-').map(Number) as [number, number?]
          return [from, to] as [number, number]
        })
      if (slots.length > 0) found.push({ port: Number(/:(\d+)/.exec(address ?? '')?.[1]), slots })
    }
    return found
  }
  const primaryOf = async (key: string): Promise<number> => {
    const slot = keySlot(key)
    const owner = (await primaries()).find((p) => p.slots.some(([a, b]) => slot >= a && slot <= b))
    if (!owner) throw new Error(`no live primary serves slot ${slot}`)
    return owner.port
  }
  return {
    rootNodes: nodes.map((n) => ({ host: HOST, port: n.port })),
    primaryOf,
    slotsOf: async (port) => (await primaries()).find((p) => p.port === port)?.slots ?? [],
    healthy: async (limitMs = 30_000) => {
      await until(
        'a Cluster with every slot served and a replica in sync per primary',
        limitMs,
        async () => {
          const states = await Promise.all(
            nodes.map(async (n) => {
              if (!(await cli(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false
              const info = await cli(n.port, 'INFO', 'replication')
              return info.includes('role:master')
                ? /slave0:.*state=online/.test(info)
                : info.includes('master_link_status:up')
            }),
          )
          return states.every(Boolean)
        },
      )
    },
    replicaOf: async (port) => {
      // The primary's own INFO is authoritative; CLUSTER NODES on another node may lag behind gossip.
      let replicaPort = 0
      await until(`an online replica of port ${port}`, 10_000, async () => {
        const info = await cli(port, 'INFO', 'replication')
        replicaPort = Number(/slave\d+:ip=[^,]*,port=(\d+),state=online/.exec(info)?.[1] ?? 0)
        return replicaPort > 0
      })
      return replicaPort
    },
    pause: (port, paused) => {
      nodes.find((n) => n.port === port)?.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT')
    },
    crash: (port) => {
      const node = nodes.find((n) => n.port === port) as Node
      node.front.cut()
      node.child?.kill('SIGKILL')
    },
    failedOver: async (key, port, limitMs = 30_000) => {
      await until(`a Cluster failover away from port ${port}`, limitMs, async () => {
        const now = await primaryOf(key)
        return now !== port && (await cli(now, 'CLUSTER', 'INFO')).includes('cluster_state:ok')
      })
    },
    rejoin: async (port) => {
      const node = nodes.find((n) => n.port === port) as Node
      node.front.cut()
      await stopProcess(node.child, 'SIGKILL')
      await startNode(node, [...args, ...announce(node)])
    },
    stop,
  }
}
