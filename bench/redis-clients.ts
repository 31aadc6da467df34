// Client CPU per Redis command for node-redis 5, node-redis 6 and ioredis: raw GET, and the hallpass store's load, in one run.
import { cpuUsage } from 'node:process'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { createClient as createClient6 } from 'redis6'
import { redisStore, type RedisClientLike } from 'hallpass/stores/redis'
import { startRedis } from './lib/redis.ts'

const ROUNDS = Number(process.argv[2] ?? 20_000)
const IN_FLIGHT = 32 // commands outstanding at once, as under concurrent requests

/** Client CPU µs per operation (user + system of this process), over ROUNDS operations IN_FLIGHT at a time. */
async function cpuPerOp(op: () => Promise<unknown>): Promise<number> {
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i += IN_FLIGHT) await Promise.all(Array.from({ length: IN_FLIGHT }, op))
  }
  await run(2_000) // warm-up
  const before = cpuUsage()
  await run(ROUNDS)
  const used = cpuUsage(before)
  return (used.user + used.system) / ROUNDS
}

const redis = await startRedis()
try {
  const v5 = createClient({ url: redis.url })
  const v6 = createClient6({ url: redis.url })
  const io = new Redis(redis.port, '127.0.0.1')
  await Promise.all([v5.connect(), v6.connect()])
  await v5.set('bench:key', 'x'.repeat(64))
  const clients: Array<[string, RedisClientLike, () => Promise<unknown>]> = [
    ['node-redis 5', v5, () => v5.get('bench:key')],
    ['node-redis 6', v6 as unknown as RedisClientLike, () => v6.get('bench:key')],
    ['ioredis', io, () => io.get('bench:key')],
  ]
  console.log(
    `client CPU µs per operation, ${ROUNDS} operations, ${IN_FLIGHT} in flight (lower is better)`,
  )
  console.log(`${'client'.padEnd(14)} ${'raw GET'.padStart(8)} ${'store.get'.padStart(10)}`)
  for (const [name, client, rawGet] of clients) {
    const store = redisStore({ client, prefix: `bench-${name.replace(/\W/g, '')}:` })
    const raw = await cpuPerOp(rawGet)
    const load = await cpuPerOp(() => store.get('0000aaaaaaaaaaaaaaaaaaaaaa'))
    await store.close()
    console.log(`${name.padEnd(14)} ${raw.toFixed(1).padStart(8)} ${load.toFixed(1).padStart(10)}`)
  }
  await Promise.all([v5.close(), v6.close(), io.quit()])
} finally {
  await redis.stop()
}
