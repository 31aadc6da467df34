// Micro-benchmark of the manager on the memory store: read-only load+commit, a write commit, and hostile Cookie headers.
import { GCProfiler, getHeapStatistics } from 'node:v8'
import { createSessions } from 'hallpass'
import { memoryStore } from 'hallpass/stores/memory'

const secret = 'bench-secret-0123456789-abcdefghijklmnop'
const sessions = createSessions({ secret, store: memoryStore(), cookie: { secure: false } })

async function signIn(): Promise<string> {
  const session = await sessions.load()
  await session.login('user-1')
  session.set('counter', 0)
  const [cookie] = (await session.commit()).cookies
  return (cookie as string).split(';')[0] as string
}

async function measure(name: string, seconds: number, op: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 5_000; i++) await op() // warm-up
  let ops = 0
  const heap = new Heap()
  const start = process.hrtime.bigint()
  const end = start + BigInt(seconds * 1e9)
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 1_000; i++) await op()
    ops += 1_000
  }
  const rate = ops / (Number(process.hrtime.bigint() - start) / 1e9)
  const perOp = heap.allocated() / ops
  console.log(
    `${name.padEnd(34)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} ops/s  ${(1e6 / rate).toFixed(2)} µs/op  ${Math.round(perOp).toLocaleString('en-US').padStart(6)} B/op`,
  )
  return rate
}

/**
 * Bytes allocated on the JS heap since construction: the growth of the used heap plus what every GC in between freed
 * (v8.GCProfiler reports the used size before and after each one). Far less sensitive to a busy machine than time.
 */
class Heap {
  private readonly profiler = new GCProfiler()
  private readonly startUsed: number

  constructor() {
    this.profiler.start()
    this.startUsed = getHeapStatistics().used_heap_size
  }

  allocated(): number {
    const endUsed = getHeapStatistics().used_heap_size
    const { statistics } = this.profiler.stop()
    let freed = 0
    for (const gc of statistics)
      freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
    return endUsed - this.startUsed + freed
  }
}

const seconds = Number(process.argv[2] ?? 3)
const cookie = await signIn()
await measure('read: load + commit (no change)', seconds, async () => {
  const session = await sessions.load({ cookie })
  if (session.userId === null) throw new Error('lost the session')
  await session.commit()
})
await measure('write: load + set + commit', seconds, async () => {
  const session = await sessions.load({ cookie })
  session.set('counter', (session.get('counter') as number) + 1)
  await session.commit()
})
await measure('anonymous: load + commit (no cookie)', seconds, async () => {
  await (await sessions.load()).commit()
})

// A Cookie header full of ';' (an app that raises Node's header limit, or calls load() itself): linear, not quadratic.
for (const kib of [16, 64, 256]) {
  const header = ';'.repeat(kib * 1024)
  const times: number[] = []
  for (let i = 0; i < 21; i++) {
    const start = performance.now()
    await sessions.load({ cookie: header })
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  const median = times[10] as number
  console.log(
    `${`hostile Cookie: ${kib} KiB of ';'`.padEnd(34)} ${median.toFixed(2).padStart(10)} ms/load (median of 21)  ${((median * 1e6) / (kib * 1024)).toFixed(1)} ns/byte`,
  )
}
