// Child-process entry: starts one scenario's server, reports its port over IPC, and exits cleanly on 'stop' (so --cpu-prof is written).
import type { ScenarioFactory } from './common.ts'
import { bareExpress, expressSessionRedis, hallpassExpressRedis } from './express.ts'
import { bareFastify, fastifySessionRedis, hallpassFastifyRedis } from './fastify.ts'
import type { ScenarioId } from './index.ts'
import { bareNode, hallpassNodeMemory, hallpassNodeRedis, hallpassSealed, ironSession, rawRedis } from './node.ts'

const FACTORIES: Record<ScenarioId, ScenarioFactory> = {
  'node-bare': bareNode,
  'node-raw-redis': rawRedis,
  'hallpass-node-redis': hallpassNodeRedis,
  'hallpass-node-memory': hallpassNodeMemory,
  'iron-session': ironSession,
  'hallpass-sealed': hallpassSealed,
  'express-bare': bareExpress,
  'express-session': expressSessionRedis,
  'hallpass-express': hallpassExpressRedis,
  'fastify-bare': bareFastify,
  'fastify-session': fastifySessionRedis,
  'hallpass-fastify': hallpassFastifyRedis,
}

const [id, redisUrl = ''] = process.argv.slice(2)
const factory = FACTORIES[id as ScenarioId]
if (!factory || typeof process.send !== 'function') {
  console.error(`usage: fork bench/scenarios/server.ts <scenario id> <redis url> (from bench/run.ts); got ${id}`)
  process.exit(2)
}

const server = await factory(redisUrl)
let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  await server.close().catch((err: unknown) => console.error(`${id}: close failed`, err))
  process.exit(0)
}
process.on('message', (message) => {
  if (message === 'stop') void stop()
})
process.on('disconnect', () => void stop())
process.send({ port: server.port })
