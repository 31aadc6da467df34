// runWrkUntil: a smoke run whose first answers come after its window goes on for longer, up to its cap.
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { CONNECTIONS, problems, runWrkUntil } from '../../bench/lib/wrk.ts'

let server: Server | undefined

afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  server = undefined
})

/**
 * A server that holds every answer until it has accepted more than `holdFor` connections (never, by default),
 * then answers at once: like a cold server on a loaded machine, it answers nothing inside the first wrk run.
 */
async function slowStart(holdFor = Infinity): Promise<{ url: string; connections: () => number }> {
  let connections = 0
  const held: ServerResponse[] = []
  server = createServer((_req, res) => {
    if (connections <= holdFor) return void held.push(res)
    res.end('ok')
  })
  server.on('connection', () => {
    if (++connections <= holdFor) return
    for (const res of held.splice(0)) if (!res.destroyed) res.end('ok')
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/read`, connections: () => connections }
}

/** wrk opens one connection to check the address, then its 32. */
const PER_RUN = CONNECTIONS + 1

const run = (url: string) =>
  ({ url, method: 'GET', cookie: 'a=b', seconds: 1, timeout: 30 }) as const

describe('runWrkUntil', () => {
  it('runs wrk again for longer when the first run completed no request', async () => {
    // The first 1-s run's connections see no answer; the second run's first connection releases them all.
    const slow = await slowStart(PER_RUN)
    const result = await runWrkUntil(run(slow.url), 5, 15)
    expect(slow.connections()).toBe(2 * PER_RUN)
    expect(result.requests).toBeGreaterThanOrEqual(5)
    expect(result.seconds).toBeGreaterThanOrEqual(3) // 1 s + 2 s, counted together
    expect(problems(result, 5)).toEqual([])
  })

  it('stops at its cap and says how little completed in how long', async () => {
    const silent = await slowStart()
    const result = await runWrkUntil(run(silent.url), 5, 2) // 1 s, and 1 + 2 s would pass the cap
    expect(silent.connections()).toBe(PER_RUN)
    expect(result.requests).toBe(0)
    expect(problems(result, 5)).toEqual(['no requests completed in 1 s of wrk (5 needed)'])
  })
})
