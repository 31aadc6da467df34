// The Store contract suite against the Durable Object store, running on workerd (SQLite-backed objects, in memory).
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'
import { testStore } from '../../src/testing/index.ts'
import { BridgeStore } from './bridge-store.ts'
import { startWorker, type RunningWorker } from './workerd.ts'

let worker: RunningWorker

beforeAll(async () => {
  worker = await startWorker({
    entry: fileURLToPath(new URL('./contract-worker.ts', import.meta.url)),
    durableObject: 'TestSessions',
  })
})
afterAll(() => worker?.stop())

testStore('durable object on workerd, injected clock', () => {
  const store = new BridgeStore(worker.url)
  return {
    store,
    cleanup: () => store.close(),
    advance: async (ms) => {
      await fetch(`${worker.url}/advance`, { method: 'POST', body: String(ms) })
    },
  }
})
