// Measured cost on a real redis-server: commands per read and write request (INFO commandstats) and bytes per session (INFO memory).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sessions } from '../../src/index.ts'
import { redisStore, type RedisClientLike } from '../../src/stores/redis/index.ts'
import {
  redisCli,
  startStandaloneClients,
  uniquePrefix,
  type RedisServer,
  type StandaloneClients,
} from '../support/redis.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

const REQUESTS = 200
const SESSIONS = 10_000
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'

let redis: StandaloneClients
let server: RedisServer
let client: StandaloneClients['nodeRedis']
/** Commands the app's client sent (round trips), counted on the client side. */
let sent = 0

beforeAll(async () => {
  redis = await startStandaloneClients()
  ;({ server, nodeRedis: client } = redis)
})

afterAll(async () => redis?.stop())

/** The same client, counting every command it sends. */
function counted(): RedisClientLike {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (property !== 'sendCommand' || typeof value !== 'function') return value
      return (...args: unknown[]) => {
        sent += 1
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  }) as unknown as RedisClientLike
}

/** INFO commandstats as { command: calls }, without the INFO/CONFIG calls of the measurement itself. */
function commandStats(): Record<string, number> {
  const stats: Record<string, number> = {}
  for (const line of redisCli(server.port, 'INFO', 'commandstats').split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim())
    if (match && !/^(info|config)/.test(match[1] as string))
      stats[match[1] as string] = Number(match[2])
  }
  return stats
}

/** Runs `count` requests after CONFIG RESETSTAT; returns server-side commands per request and client round trips per request. */
async function perRequest(
  count: number,
  request: (i: number) => Promise<unknown>,
): Promise<{ server: Record<string, number>; roundTrips: number }> {
  redisCli(server.port, 'CONFIG', 'RESETSTAT')
  sent = 0
  for (let i = 0; i < count; i++) await request(i)
  const stats = commandStats()
  return {
    server: Object.fromEntries(Object.entries(stats).map(([name, calls]) => [name, calls / count])),
    roundTrips: sent / count,
  }
}

function usedMemory(): number {
  return Number(/used_memory:(\d+)/.exec(redisCli(server.port, 'INFO', 'memory'))?.[1])
}

/** used_memory after Redis has finished growing its hash tables (incremental rehashing runs in the background). */
async function settledMemory(): Promise<number> {
  let last = usedMemory()
  for (let i = 0; i < 30; i++) {
    await new Promise((resolve) => setTimeout(resolve, 150))
    const now = usedMemory()
    if (now === last) return now
    last = now
  }
  return last
}

/** A signed-in session holding { userId, counter }: the data is set before login, which carries it over in one write. */
async function login(
  sessions: Sessions,
  userId: string,
  client: { ip?: string; userAgent?: string } = {},
): Promise<string> {
  const session = await sessions.load(client)
  session.set('userId', userId)
  session.set('counter', 1)
  await session.login(userId)
  return cookiePair((await session.commit()).cookies[0])
}

/**
 * Bytes per session: used_memory delta over SESSIONS logins spread over `users` distinct users, then the share of
 * the user indexes (measured by deleting them). Also checks that the session hashes kept the compact encoding.
 */
async function bytesPerSession(
  users: number,
  client: { ip?: string; userAgent?: string },
): Promise<{ total: number; index: number }> {
  redisCli(server.port, 'FLUSHALL')
  const prefix = uniquePrefix('m')
  const { sessions } = testSessions({ store: redisStore({ client: counted(), prefix }) })
  const cookie = await login(sessions, 'warm-up', client) // loads the scripts, so the script cache is not counted
  const id = (await sessions.load({ cookie })).id as string
  expect(
    redisCli(
      server.port,
      'OBJECT',
      'ENCODING',
      `${prefix}{${id.slice(0, 4)}}${id.slice(4)}`,
    ).trim(),
  ).toBe('listpack')
  redisCli(server.port, 'FLUSHALL')
  const before = await settledMemory()
  for (let i = 0; i < SESSIONS; i += 500)
    await Promise.all(
      Array.from({ length: 500 }, (_, j) =>
        login(sessions, `user-${100_000 + ((i + j) % users)}`, client),
      ),
    )
  const after = await settledMemory()
  expect(Number(redisCli(server.port, 'DBSIZE'))).toBe(SESSIONS + users)
  redisCli(
    server.port,
    'EVAL',
    "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 1",
    '0',
    `${prefix}*u:*`,
  )
  const sessionsOnly = await settledMemory()
  return { total: (after - before) / SESSIONS, index: (after - sessionsOnly) / SESSIONS }
}

/** Redis's own floor on this server: bytes per key for a 1-byte string with a TTL and a key as long as ours. */
async function floorPerKey(): Promise<number> {
  redisCli(server.port, 'FLUSHALL')
  const before = await settledMemory()
  redisCli(
    server.port,
    'EVAL',
    `for i = 1, ${SESSIONS} do redis.call('SET', 'hp:{abcd}' .. string.format('%022d', i), 'x', 'PX', 3600000) end return 1`,
    '0',
  )
  const after = await settledMemory()
  redisCli(server.port, 'FLUSHALL')
  return (after - before) / SESSIONS
}

describe('measured cost of the Redis store (printed, and held to budgets)', () => {
  it('a read request is 1 command; a write request is the load plus 1 script call', async () => {
    const { sessions, clock } = testSessions({
      store: redisStore({ client: counted(), prefix: uniquePrefix('c') }),
    })
    const cookie = await login(sessions, 'reader')
    const warmUp = await sessions.load({ cookie })
    warmUp.set('counter', 0)
    await warmUp.commit() // loads the commit script, so NOSCRIPT + EVAL happens before we count
    const read = await perRequest(REQUESTS, async () => (await sessions.load({ cookie })).commit())
    const write = await perRequest(REQUESTS, async (i) => {
      const session = await sessions.load({ cookie })
      session.set('counter', i)
      return session.commit()
    })
    clock.advance(61_000) // past the touch interval: the next read also writes lastSeenAt, once
    const touch = await perRequest(1, async () => (await sessions.load({ cookie })).commit())
    console.log(
      `[redis measure] per read request: ${read.roundTrips} round trip(s); server commandstats ${JSON.stringify(read.server)}`,
    )
    console.log(
      `[redis measure] per write request: ${write.roundTrips} round trip(s); server commandstats ${JSON.stringify(write.server)}`,
    )
    console.log(
      `[redis measure] first read after the touch interval: ${touch.roundTrips} round trip(s); ${JSON.stringify(touch.server)}`,
    )
    expect(read.roundTrips).toBe(1)
    expect(read.server).toEqual({ hgetall: 1 })
    expect(write.roundTrips).toBe(2)
    expect(write.server.hgetall).toBe(1)
    expect(write.server.evalsha).toBe(1)
    expect(write.server.eval).toBeUndefined()
    expect(touch.roundTrips).toBe(2)
  }, 60_000)

  it('bytes per logged-in session with { userId, counter }, over 10,000 sessions', async () => {
    const floor = await floorPerKey()
    const plain = await bytesPerSession(SESSIONS, {})
    const device = await bytesPerSession(SESSIONS, { ip: '203.0.113.7', userAgent: UA })
    const shared = await bytesPerSession(SESSIONS / 10, {})
    const line = (label: string, m: { total: number; index: number }): string =>
      `${label}: ${m.total.toFixed(1)} B per session = ${(m.total - m.index).toFixed(1)} B session hash + ${m.index.toFixed(1)} B user index`
    console.log(
      `[redis measure] Redis's own floor for one key with a TTL (1-byte value, key as long as ours): ${floor.toFixed(1)} B`,
    )
    console.log(`[redis measure] ${line('one session per user, no device info', plain)}`)
    console.log(
      `[redis measure] ${line(`one session per user, ip + ${UA.length}-char user agent`, device)}`,
    )
    console.log(`[redis measure] ${line('ten sessions per user, no device info', shared)}`)
    // Budgets (docs/redis.md): a signed-in user with one session costs two Redis keys (the session and the user's
    // index), so no layout gets under 2x the floor; ours stays within 120 B of content above it.
    expect(plain.total).toBeLessThanOrEqual(2 * floor + 120)
    // With ten sessions per user, the index is shared: the session hash plus its index entry.
    expect(shared.total).toBeLessThanOrEqual(floor + 160)
    // The user agent is chunked so the hash stays a listpack: device info costs about its own bytes, not 4x.
    expect(device.total - plain.total).toBeLessThanOrEqual(UA.length + 11 + 64)
  }, 120_000)
})
