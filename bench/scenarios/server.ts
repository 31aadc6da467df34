// Child-process entry: starts one scenario's server, reports its port over IPC, and exits cleanly on 'stop' (so --cpu-prof is written).
import type { ScenarioFactory } from './common.ts'
import type { ScenarioId } from './index.ts'

// Each server loads only its own framework's module, so no scenario carries another's code in its heap.
const node = (): Promise<typeof import('./node.ts')> => import('./node.ts')
const express = (): Promise<typeof import('./express.ts')> => import('./express.ts')
const fastify = (): Promise<typeof import('./fastify.ts')> => import('./fastify.ts')
const postgres = (): Promise<typeof import('./postgres.ts')> => import('./postgres.ts')

// The Bun and Deno scenarios are not Node children: bench/lib/children.ts starts them on their runtime.
const FACTORIES: Partial<Record<ScenarioId, () => Promise<ScenarioFactory>>> = {
  'node-bare': async () => (await node()).bareNode,
  'node-raw-redis': async () => (await node()).rawRedis,
  'hallpass-node-redis': async () => (await node()).hallpassNodeRedis,
  'hallpass-node-memory': async () => (await node()).hallpassNodeMemory,
  'node-raw-redis6': async () => (url) => node().then((m) => m.rawRedisOn('node-redis 6', url)),
  'hallpass-node-redis6': async () => (url) =>
    node().then((m) => m.hallpassNodeOn('node-redis 6', url)),
  'node-raw-ioredis': async () => (url) => node().then((m) => m.rawRedisOn('ioredis', url)),
  'hallpass-node-ioredis': async () => (url) =>
    node().then((m) => m.hallpassNodeOn('ioredis', url)),
  'iron-session': async () => (await node()).ironSession,
  'hallpass-sealed': async () => (await node()).hallpassSealed,
  'express-bare': async () => (await express()).bareExpress,
  'express-session': async () => (await express()).expressSessionRedis,
  'hallpass-express': async () => (await express()).hallpassExpressRedis,
  'fastify-bare': async () => (await fastify()).bareFastify,
  'fastify-session': async () => (await fastify()).fastifySessionRedis,
  'hallpass-fastify': async () => (await fastify()).hallpassFastifyRedis,
  'node-raw-postgres': async () => (await postgres()).rawPostgres,
  'hallpass-node-postgres': async () => (await postgres()).hallpassNodePostgres,
  'express-session-postgres': async () => (await postgres()).expressSessionPostgres,
  'hallpass-express-postgres': async () => (await postgres()).hallpassExpressPostgres,
}

const [id, redisUrl = ''] = process.argv.slice(2)
const load = FACTORIES[id as ScenarioId]
if (!load || typeof process.send !== 'function') {
  console.error(
    `usage: fork bench/scenarios/server.ts <scenario id> <redis url> (from bench/run.ts); got ${id}`,
  )
  process.exit(2)
}
// The first server of a run loads every module once, to fill the transpile cache for the others.
if (process.env.HALLPASS_BENCH_PRELOAD === '1')
  await Promise.all([node(), express(), fastify(), postgres()])

const server = await (await load())(redisUrl)
let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  await server.close().catch((err: unknown) => console.error(`${id}: close failed`, err))
  process.exit(0)
}
process.on('message', (message) => {
  if (message === 'stop') void stop()
  // CPU time this process has used (user + system, µs): the bench divides its growth over a run by the requests served.
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage()
    process.send?.({ cpu: user + system })
  }
})
process.on('disconnect', () => void stop())
process.send({ port: server.port })
