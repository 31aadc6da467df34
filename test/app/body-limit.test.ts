// Oversized bodies over real HTTP: every sender reads its 413 (never EPIPE or ECONNRESET); reading is bounded.
import { Agent, request } from 'node:http'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DRAIN_BODY_BYTES, MAX_BODY_BYTES } from '../../demo/app.ts'
import { startApp, type AppUnderTest } from './harness.ts'

let app: AppUnderTest
beforeAll(async () => void (app = await startApp()))
afterAll(async () => app?.close())

type Outcome = { status: number; code: unknown } | { error: string }

interface Send {
  readonly agent: Agent | false
  /** Send without Content-Length (Transfer-Encoding: chunked), in 64 KiB writes. */
  readonly chunked?: boolean
}

/** One login POST that writes its whole body, as a plain node:http client does; resolves to what the client saw. */
function post(body: Buffer, { agent, chunked = false }: Send): Promise<Outcome> {
  return new Promise((resolve) => {
    const length = chunked ? {} : { 'content-length': body.length }
    const headers = { 'content-type': 'application/json', origin: app.origin, ...length }
    const req = request(`${app.base}/api/auth/login`, { method: 'POST', agent, headers })
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message }),
    )
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ error: error.code ?? error.message }),
      )
      res.on('end', () => {
        const reply = JSON.parse(text) as { error?: { code?: unknown } }
        resolve({ status: res.statusCode ?? 0, code: reply.error?.code })
      })
    })
    if (!chunked) return void req.end(body)
    for (let offset = 0; offset < body.length; offset += 65_536)
      req.write(body.subarray(offset, offset + 65_536))
    req.end()
  })
}

/** A JSON-looking body of `bytes` bytes: a login whose password field is huge. */
function loginBody(bytes: number): Buffer {
  const head = '{"email":"a@example.com","password":"'
  return Buffer.from(`${head}${'x'.repeat(bytes - head.length - 2)}"}`)
}

const TOO_LARGE = { status: 413, code: 'PAYLOAD_TOO_LARGE' }

describe('a 1 MB login body', () => {
  const body = loginBody(1_000_000)

  it('50 of them, in sequence and in parallel, chunked or not: every client reads the 413', async () => {
    const reused = new Agent({ keepAlive: true, maxSockets: 1 })
    const pooled = new Agent({ keepAlive: true })
    const outcomes: Outcome[] = []
    for (let i = 0; i < 15; i++)
      outcomes.push(await post(body, { agent: reused, chunked: i % 3 === 0 }))
    const parallel = [
      ...Array.from({ length: 15 }, () => post(body, { agent: pooled })),
      ...Array.from({ length: 10 }, () => post(body, { agent: false })),
      ...Array.from({ length: 10 }, () => post(body, { agent: false, chunked: true })),
    ]
    outcomes.push(...(await Promise.all(parallel)))
    expect(outcomes).toHaveLength(50)
    expect(outcomes.filter((outcome) => !('status' in outcome) || outcome.status !== 413)).toEqual(
      [],
    )
    expect(outcomes).toEqual(Array.from({ length: 50 }, () => TOO_LARGE))
    // The kept-alive connection is still in step after a 413: the next request on it gets its own answer.
    const small = Buffer.from('{"email":"a@example.com"}')
    expect(await post(small, { agent: reused })).toEqual({ status: 400, code: 'INVALID_INPUT' })
    expect(await post(small, { agent: reused, chunked: true })).toEqual({
      status: 400,
      code: 'INVALID_INPUT',
    })
    reused.destroy()
    pooled.destroy()
  }, 120_000) // a hang guard: 50 MB over loopback on a busy 2-core machine
})

describe('a body past the drain bound', () => {
  /** Sends `body` on a new kept-alive connection; resolves to how many bytes the server read from it in all. */
  async function serverBytesRead(body: Buffer, chunked: boolean): Promise<number> {
    const agent = new Agent({ keepAlive: true }) // the client asks for no close: the server must decide to
    const connected = new Promise<Socket>((resolve) => app.server.once('connection', resolve))
    const sent = post(body, { agent, chunked })
    const socket = await connected
    const closed = new Promise<void>((resolve) =>
      socket.destroyed ? resolve() : socket.once('close', resolve),
    )
    await sent // the client may read the 413 or see the connection cut: either way it is done
    await closed
    agent.destroy()
    return socket.bytesRead
  }

  it('the server stops reading an oversized body after DRAIN_BODY_BYTES and closes the connection', async () => {
    const body = loginBody(48 * 1024 * 1024)
    const bound = DRAIN_BODY_BYTES + MAX_BODY_BYTES + 1024 * 1024 // plus what the socket and stream buffers hold
    expect(await serverBytesRead(body, false)).toBeLessThan(bound)
    expect(await serverBytesRead(body, true)).toBeLessThan(bound)
  }, 60_000)
})
