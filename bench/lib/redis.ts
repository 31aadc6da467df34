// The bench's own redis-server (free loopback port, no persistence) and what is read from it: INFO deltas and MONITOR counts.
import { createConnection, type Socket } from 'node:net'
import { createClient } from 'redis'
import { startRedis as startRedisServer } from '../../test/support/redis.ts'

const HOST = '127.0.0.1'

export interface BenchRedis {
  readonly port: number
  readonly url: string
  readonly admin: ReturnType<typeof createClient>
  stop(): Promise<void>
}

/** Starts `redis-server --save '' --appendonly no` on a free loopback port (the test harness's), with an admin client for INFO. */
export async function startRedis(): Promise<BenchRedis> {
  const server = await startRedisServer()
  const admin = createClient({ url: server.url })
  admin.on('error', () => undefined)
  await admin.connect()
  return {
    port: server.port,
    url: server.url,
    admin,
    stop: async () => {
      await admin.close().catch(() => undefined)
      await server.stop()
    },
  }
}

/** `calls` per command from `INFO commandstats` (commands run inside scripts are counted too). */
export async function commandStats(redis: BenchRedis): Promise<Map<string, number>> {
  const text = await redis.admin.info('commandstats')
  const stats = new Map<string, number>()
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    stats.set(match[1] as string, Number(match[2]))
  return stats
}

/** Calls per command between two snapshots, without the bench's own INFO calls. */
export function commandDelta(
  before: Map<string, number>,
  after: Map<string, number>,
): Map<string, number> {
  const delta = new Map<string, number>()
  for (const [name, calls] of after) {
    const diff = calls - (before.get(name) ?? 0)
    if (diff > 0 && name !== 'info') delta.set(name, diff)
  }
  return delta
}

/**
 * `used_memory` from `INFO memory` less `mem_clients_normal`, in bytes: the clients' query and output buffers come
 * and go with connections and pipelines (a 200-login smoke run once measured a negative growth from them alone).
 */
export async function usedMemory(redis: BenchRedis): Promise<number> {
  const text = await redis.admin.info('memory')
  const used = /^used_memory:(\d+)/m.exec(text)
  const clients = /^mem_clients_normal:(\d+)/m.exec(text)
  if (!used || !clients) throw new Error('INFO memory has no used_memory or mem_clients_normal')
  return Number(used[1]) - Number(clients[1])
}

/** Average `MEMORY USAGE` (bytes, exact: SAMPLES 0) per key type, over up to `sample` keys found by SCAN. */
export async function memoryByType(
  redis: BenchRedis,
  sample = 200,
): Promise<Map<string, { keys: number; bytes: number }>> {
  const byType = new Map<string, { keys: number; bytes: number }>()
  let cursor = '0'
  let seen = 0
  do {
    const reply = (await redis.admin.sendCommand(['SCAN', cursor, 'COUNT', '100'])) as [
      string,
      string[],
    ]
    cursor = reply[0]
    for (const key of reply[1]) {
      if (seen++ >= sample) break
      const type = String(await redis.admin.sendCommand(['TYPE', key]))
      const bytes = Number(await redis.admin.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0']))
      const entry = byType.get(type) ?? { keys: 0, bytes: 0 }
      entry.keys += 1
      entry.bytes += bytes
      byType.set(type, entry)
    }
  } while (cursor !== '0' && seen < sample)
  for (const entry of byType.values()) entry.bytes /= entry.keys
  return byType
}

/** Round trips seen by MONITOR, split into commands sent by clients and commands run inside scripts (`[0 lua]`). */
export interface MonitorCount {
  client: Map<string, number>
  script: Map<string, number>
}

/** Opens a MONITOR connection; `take()` returns and resets what was seen since the last take. */
export async function monitor(
  redis: BenchRedis,
): Promise<{ take(): Promise<MonitorCount>; close(): void }> {
  const socket: Socket = createConnection({ host: HOST, port: redis.port })
  let buffer = ''
  let count: MonitorCount = { client: new Map(), script: new Map() }
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.once('connect', () => socket.write('MONITOR\r\n'))
    socket.once('data', (chunk) => {
      if (!chunk.toString().startsWith('+OK'))
        reject(new Error(`MONITOR refused: ${chunk.toString()}`))
      else resolve()
    })
  })
  socket.on('data', (chunk) => {
    buffer += chunk.toString()
    let newline: number
    while ((newline = buffer.indexOf('\r\n')) !== -1) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 2)
      const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line)
      if (!match) continue
      const bucket = match[1] === 'lua' ? count.script : count.client
      const name = (match[2] as string).toLowerCase()
      bucket.set(name, (bucket.get(name) ?? 0) + 1)
    }
  })
  return {
    take: async () => {
      await new Promise((resolve) => setTimeout(resolve, 100)) // let the last lines arrive
      const seen = count
      count = { client: new Map(), script: new Map() }
      return seen
    },
    close: () => socket.destroy(),
  }
}
