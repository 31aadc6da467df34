// Test harness: starts real redis-server processes (standalone and a 3-master Cluster) on free loopback ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster, Redis } from 'ioredis'
import { createClient, createCluster } from 'redis'
import { createClient as createClient6, createCluster as createCluster6 } from 'redis6'
import type { RedisClientLike } from '../../src/stores/redis/index.ts'

/** A redis-server this test file owns. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** SIGKILL, like a crash: no shutdown, connections drop. */
  kill(): Promise<void>
  /** Starts the server again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>
  /** SIGSTOP: the server stops answering but keeps its connections, like a hung host. */
  pause(): void
  /** SIGCONT after `pause`. */
  resume(): void
  stop(): Promise<void>
}

/** A 3-master Redis Cluster this test file owns. */
export interface RedisCluster {
  readonly ports: readonly number[]
  readonly rootNodes: ReadonlyArray<{ host: string; port: number }>
  stop(): Promise<void>
}

export const HOST = '127.0.0.1'
/** Every child still running: SIGKILLed when the test process exits. */
export const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** Fails loudly (never skips) when the Redis binaries are missing: CI must install them. */
export function requireRedisBinaries(): void {
  for (const binary of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' })
    if (probe.error || probe.status !== 0) {
      throw new Error(
        `${binary} is not installed or not on PATH. The Redis store tests need a real Redis 7: install it (Debian: apt-get install redis-server redis-tools) and run the tests again.`,
      )
    }
  }
}

/** A port that is free now, and (for Cluster) whose bus port +10000 is free too. */
export async function freePort(withBus = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(0, HOST, () => {
        const address = server.address()
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
      })
    })
    if (!withBus) return port
    if (port < 55_000 && (await portIsFree(port + 10_000))) return port
  }
  throw new Error('could not find a free loopback port for redis-server')
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, HOST, () => server.close(() => resolve(true)))
  })
}

/** Resolves once the port answers PING with PONG, or rejects after `timeoutMs`. */
export async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: HOST, port })
      const done = (value: boolean): void => {
        socket.destroy()
        resolve(value)
      }
      socket.once('error', () => done(false))
      socket.setTimeout(500, () => done(false))
      socket.once('connect', () => socket.write('PING\r\n'))
      socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`)
}

function cli(args: string[]): string {
  const result = spawnSync('redis-cli', ['-h', HOST, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (result.status !== 0)
    throw new Error(`redis-cli ${args.join(' ')} failed: ${result.stderr || result.stdout}`)
  return result.stdout
}

/** Spawns one redis-server and waits until it answers; the caller owns the process. */
export async function spawnServer(
  port: number,
  dir: string,
  extra: string[],
): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--protected-mode',
    'no',
    ...extra,
  ]
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  live.add(child)
  child.once('exit', () => live.delete(child))
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`redis-server on port ${port} exited early (code ${code})`)),
    ),
  )
  exited.catch(() => undefined)
  await Promise.race([waitForPing(port, 10_000), exited])
  return child
}

export async function stopProcess(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals,
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill(signal)
  })
}

/** Starts a standalone redis-server (no persistence, temp dir) on a free loopback port. */
export async function startRedis(): Promise<RedisServer> {
  requireRedisBinaries()
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-redis-'))
  let child: ChildProcess | undefined
  let port = 0
  for (let attempt = 0; ; attempt++) {
    port = await freePort()
    try {
      child = await spawnServer(port, dir, [])
      break
    } catch (err) {
      if (attempt >= 4) throw err // the port was taken between probing and binding; try another
    }
  }
  return {
    port,
    url: `redis://${HOST}:${port}`,
    kill: () => stopProcess(child, 'SIGKILL'),
    restart: async () => {
      await stopProcess(child, 'SIGKILL')
      child = await spawnServer(port, dir, [])
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    stop: async () => {
      child?.kill('SIGCONT')
      await stopProcess(child, 'SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Starts 3 cluster-enabled servers, joins them with `redis-cli --cluster create`, waits for cluster_state:ok. */
export async function startCluster(): Promise<RedisCluster> {
  requireRedisBinaries()
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-cluster-'))
  const children: ChildProcess[] = []
  const ports: number[] = []
  try {
    for (let i = 0; i < 3; i++) {
      for (let attempt = 0; ; attempt++) {
        const port = await freePort(true)
        const nodeDir = join(dir, String(port))
        rmSync(nodeDir, { recursive: true, force: true })
        mkdirSync(nodeDir, { recursive: true })
        try {
          children.push(
            await spawnServer(port, nodeDir, [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              'nodes.conf',
              '--cluster-node-timeout',
              '2000',
            ]),
          )
          ports.push(port)
          break
        } catch (err) {
          if (attempt >= 4) throw err
        }
      }
    }
    cli([
      '--cluster',
      'create',
      ...ports.map((p) => `${HOST}:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    const deadline = Date.now() + 30_000
    while (
      !ports.every((p) => cli(['-p', String(p), 'cluster', 'info']).includes('cluster_state:ok'))
    ) {
      if (Date.now() > deadline)
        throw new Error('Redis Cluster did not reach cluster_state:ok within 30 s')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } catch (err) {
    await Promise.all(children.map((c) => stopProcess(c, 'SIGKILL')))
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    ports,
    rootNodes: ports.map((port) => ({ host: HOST, port })),
    stop: async () => {
      await Promise.all(children.map((c) => stopProcess(c, 'SIGTERM')))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Runs redis-cli against one port and returns its output (for writing raw data in tests). */
export function redisCli(port: number, ...args: string[]): string {
  return cli(['-p', String(port), ...args])
}

/** A prefix unique to this process and call, so tests sharing a server never see each other's keys. */
let prefixes = 0
export function uniquePrefix(label = 't'): string {
  prefixes += 1
  return `${label}${process.pid.toString(36)}${prefixes.toString(36)}:`
}

/** The four client set-ups the Redis store supports, connected to servers this test file owns. */
export interface RedisClients {
  readonly server: RedisServer
  readonly cluster: RedisCluster
  readonly clients: Readonly<Record<ClientKind, RedisClientLike>>
  stop(): Promise<void>
}

export type ClientKind =
  | 'node-redis standalone'
  | 'ioredis standalone'
  | 'node-redis cluster'
  | 'ioredis Cluster'
  | 'node-redis 6 standalone'
  | 'node-redis 6 cluster'
/** node-redis 5, ioredis, then node-redis 6 (what `npm install redis` gives today). */
export const CLIENT_KINDS: readonly ClientKind[] = [
  'node-redis standalone',
  'ioredis standalone',
  'node-redis cluster',
  'ioredis Cluster',
  'node-redis 6 standalone',
  'node-redis 6 cluster',
]

/** Resolves when an ioredis client or Cluster is ready, rejects on its first error. */
export async function ioredisReady(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') return
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve)
    client.once('error', reject)
  })
}

/** Starts a standalone server and a Cluster and connects node-redis and ioredis to each. */
export async function startClients(): Promise<RedisClients> {
  const [server, cluster] = await Promise.all([startRedis(), startCluster()])
  const nodeRedis = createClient({ url: server.url })
  nodeRedis.on('error', () => undefined)
  const nodeCluster = createCluster({
    rootNodes: cluster.rootNodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
  })
  nodeCluster.on('error', () => undefined)
  const nodeRedis6 = createClient6({ url: server.url })
  nodeRedis6.on('error', () => undefined)
  const nodeCluster6 = createCluster6({
    rootNodes: cluster.rootNodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
  })
  nodeCluster6.on('error', () => undefined)
  const ioredis = new Redis(server.port, HOST)
  const ioCluster = new Cluster([...cluster.rootNodes])
  await Promise.all([
    nodeRedis.connect(),
    nodeCluster.connect(),
    nodeRedis6.connect(),
    nodeCluster6.connect(),
    ioredisReady(ioredis),
    ioredisReady(ioCluster),
  ])
  return {
    server,
    cluster,
    clients: {
      'node-redis standalone': nodeRedis,
      'ioredis standalone': ioredis,
      'node-redis cluster': nodeCluster,
      'ioredis Cluster': ioCluster,
      'node-redis 6 standalone': nodeRedis6 as unknown as RedisClientLike,
      'node-redis 6 cluster': nodeCluster6 as unknown as RedisClientLike,
    },
    stop: async () => {
      await Promise.allSettled([
        nodeRedis.close(),
        nodeCluster.close(),
        nodeRedis6.close(),
        nodeCluster6.close(),
        ioredis.quit(),
        ioCluster.quit(),
      ])
      await Promise.allSettled([server.stop(), cluster.stop()])
    },
  }
}

/** One standalone server, with a node-redis and an ioredis client connected to it (errors are left to the tests). */
export interface StandaloneClients {
  readonly server: RedisServer
  readonly nodeRedis: ReturnType<typeof createClient>
  readonly ioredis: Redis
  /** Closes both clients, then stops the server. */
  stop(): Promise<void>
}

/** Starts a standalone server and connects node-redis and ioredis to it. */
export async function startStandaloneClients(): Promise<StandaloneClients> {
  const server = await startRedis()
  const nodeRedis = createClient({ url: server.url })
  nodeRedis.on('error', () => undefined)
  const ioredis = new Redis(server.port, HOST)
  ioredis.on('error', () => undefined)
  await Promise.all([nodeRedis.connect(), ioredisReady(ioredis)])
  return {
    server,
    nodeRedis,
    ioredis,
    stop: async () => {
      await Promise.allSettled([nodeRedis.close(), Promise.resolve(ioredis.disconnect())])
      await server.stop()
    },
  }
}
