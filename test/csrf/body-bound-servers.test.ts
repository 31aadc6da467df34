// The attack of #24.2 over real HTTP on every adapter: a huge form body with no Origin is refused after a bounded read.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import * as expressAdapter from '../../src/adapters/express.ts'
import * as fastifyAdapter from '../../src/adapters/fastify.ts'
import * as fetchAdapter from '../../src/adapters/fetch.ts'
import * as honoAdapter from '../../src/adapters/hono.ts'
import * as nodeAdapter from '../../src/adapters/node.ts'
import { csrfToken } from '../../src/csrf/index.ts'
import { FORM_TOKEN_BOUND } from '../../src/csrf/form-token.ts'
import { createSessions, type Sessions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { BOUNDARY, liveArrayBuffers, MULTIPART, URLENCODED } from '../support/form-bodies.ts'

const MiB = 1024 * 1024
const ATTACK = 512 * MiB
/**
 * What the server may have read from the socket besides what the CSRF lookup asked for: the request head, the
 * socket's 64 KiB reads, the buffers between socket and handler (IncomingMessage, the web stream over it), and
 * the chunk the body's tee reads ahead. Measured on Node 20: the bound plus one 64 KiB socket read.
 * The attack is 512 MiB.
 */
const SLACK = 256 * 1024

/** A server under test and the bytes its socket had read when it decided the answer. */
interface Door {
  readonly url: string
  readAtDecision(): number | undefined
  /** Bytes held in ArrayBuffers when it decided, over what it held when it started (doors that measure it). */
  heldAtDecision?(): number | undefined
  close(): Promise<void>
}

/** Tracks the request in flight and records its socket's bytesRead when `decided()` runs. */
function probe() {
  let current: IncomingMessage | undefined
  let read: number | undefined
  return {
    watch(server: Server) {
      server.on('request', (req: IncomingMessage) => ((current = req), (read = undefined)))
    },
    decided() {
      read ??= current?.socket.bytesRead
    },
    read: () => read,
  }
}

function sessionsFor(decided: () => void): Sessions {
  return createSessions({
    secret: 'body-bound-servers-test-secret-0123456789',
    store: memoryStore(),
    cookie: { secure: false },
    onEvent: (event) => event.type === 'csrf.rejected' && decided(),
  })
}

async function listen(server: Server, read: () => number | undefined): Promise<Door> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    readAtDecision: read,
    close: () =>
      new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}

/** What a form handler saw: every field's length and the last field's value. */
async function describeForm(form: FormData): Promise<{ note: number; last: unknown }> {
  const note = form.get('note')
  return { note: typeof note === 'string' ? note.length : -1, last: form.get('last') }
}

const DOORS = {
  async fetch(): Promise<Door> {
    const p = probe()
    const app = fetchAdapter.withSession(sessionsFor(p.decided), async (request, session) => {
      if (request.method === 'GET') return Response.json({ token: csrfToken(session) })
      return Response.json(await describeForm(await request.formData()))
    })
    const server = createAdaptorServer({ fetch: app }) as Server
    p.watch(server)
    return listen(server, p.read)
  },
  async hono(): Promise<Door> {
    const p = probe()
    const app = new Hono<honoAdapter.SessionEnv>().use(honoAdapter.session(sessionsFor(p.decided)))
    app.get('/', (c) => c.json({ token: c.get('csrfToken')() }))
    app.post('/', async (c) => {
      const body = await c.req.parseBody()
      return c.json({
        note: typeof body.note === 'string' ? body.note.length : -1,
        last: body.last,
      })
    })
    const server = createAdaptorServer({ fetch: app.fetch }) as Server
    p.watch(server)
    return listen(server, p.read)
  },
  async node(): Promise<Door> {
    const p = probe()
    const server = createServer(
      nodeAdapter.withSession(sessionsFor(p.decided), async () => ({ body: 'ok' })),
    )
    p.watch(server)
    return listen(server, p.read)
  },
  async express(): Promise<Door> {
    const p = probe()
    const app = express()
    app.use(expressAdapter.session(sessionsFor(p.decided)))
    app.use(express.urlencoded({ extended: false }))
    app.post('/', (_req, res) => void res.send('ok'))
    const server = createServer(app)
    p.watch(server)
    return listen(server, p.read)
  },
  /**
   * Express with its body parser before hallpass (so `_csrf` can be read): the parser's 100 kb limit answers first.
   * body-parser reads an oversized body to its end before answering, discarding it: what it holds is measured.
   */
  async 'express, parser first'(): Promise<Door> {
    const p = probe()
    const app = express()
    app.use(express.urlencoded({ extended: false }))
    app.use(expressAdapter.session(sessionsFor(p.decided)))
    app.post('/', (_req, res) => void res.send('ok'))
    let held: number | undefined
    const baseline = await liveArrayBuffers()
    const onError: express.ErrorRequestHandler = async (
      err: { status?: number },
      _req,
      res,
      _next,
    ) => {
      held = (await liveArrayBuffers()) - baseline
      res.status(err.status ?? 500).end()
    }
    app.use(onError)
    const server = createServer(app)
    p.watch(server)
    return { ...(await listen(server, p.read)), heldAtDecision: () => held }
  },
  async fastify(): Promise<Door> {
    const p = probe()
    const app = Fastify()
    await app.register(fastifyAdapter.session(sessionsFor(p.decided)))
    app.setErrorHandler(
      (err: { statusCode?: number }, _request, reply) => (
        p.decided(),
        reply.code(err.statusCode ?? 500).send()
      ),
    )
    app.post('/', async () => 'ok')
    await app.listen({ port: 0, host: '127.0.0.1' })
    p.watch(app.server)
    const { port } = app.server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}`, readAtDecision: p.read, close: () => app.close() }
  },
} satisfies Record<string, () => Promise<Door>>

/**
 * POSTs `head` and then filler up to `total` bytes, chunked, with no Origin and no Sec-Fetch-Site, honouring
 * backpressure; stops sending once the answer arrives and resolves with it.
 */
function flood(
  url: string,
  type: string,
  head: string,
  total: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': type, 'transfer-encoding': 'chunked', ...headers },
    })
    let answered = false
    req.on('response', (res) => {
      answered = true
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => (resolve({ status: res.statusCode ?? 0, body }), req.destroy()))
      res.on('error', reject)
    })
    req.on('error', (err) => answered || reject(err))
    const filler = Buffer.alloc(64 * 1024, 'a')
    let sent = 0
    const send = (): void => {
      while (!answered && sent < total) {
        const chunk =
          sent === 0
            ? Buffer.concat([Buffer.from(head), filler]).subarray(0, filler.length)
            : filler
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', send)
      }
      if (!answered) req.end()
    }
    send()
  })
}

const MULTIPART_HEAD = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; filename="a.bin"\r\n\r\n`
let open: Door | undefined
afterEach(async () => {
  await open?.close()
  open = undefined
})

/** One attack: the door, the body, the answer, and what the door may read (or hold) before it answers. */
interface Attack {
  readonly door: keyof typeof DOORS
  readonly type: string
  readonly head: string
  readonly status: number
  readonly read?: number
  readonly held?: number
  readonly size?: number
}

const ATTACKS: Attack[] = [
  { door: 'fetch', type: URLENCODED, head: 'a=', status: 403, read: FORM_TOKEN_BOUND },
  { door: 'fetch', type: MULTIPART, head: MULTIPART_HEAD, status: 403, read: FORM_TOKEN_BOUND },
  { door: 'hono', type: URLENCODED, head: 'a=', status: 403, read: FORM_TOKEN_BOUND },
  { door: 'hono', type: MULTIPART, head: MULTIPART_HEAD, status: 403, read: FORM_TOKEN_BOUND },
  // node and Express leave the body to the app: nothing of it is read before the 403.
  { door: 'node', type: URLENCODED, head: 'a=', status: 403, read: 0 },
  { door: 'express', type: URLENCODED, head: 'a=', status: 403, read: 0 },
  // The app's parser runs first and answers by its own limit (100 kb), after discarding the rest (so a smaller flood).
  {
    door: 'express, parser first',
    type: URLENCODED,
    head: 'a=',
    status: 413,
    held: 100_000,
    size: 64 * MiB,
  },
  // Fastify refuses a type it has no parser for, and parses others within its bodyLimit (1 MiB)
  // before hallpass's preHandler.
  { door: 'fastify', type: URLENCODED, head: 'a=', status: 415, read: 0 },
  { door: 'fastify', type: 'text/plain', head: 'a=', status: 413, read: MiB },
]

describe('a huge form body with no Origin and no token, on every adapter', () => {
  it.each(ATTACKS)(
    '$door, $type: answers $status within its bound',
    async (attack) => {
      open = await DOORS[attack.door]()
      const reply = await flood(`${open.url}/`, attack.type, attack.head, attack.size ?? ATTACK)
      expect(reply.status).toBe(attack.status)
      if (attack.status === 403) expect(reply.body).toContain('CSRF_REJECTED')
      if (attack.read !== undefined) {
        expect(open.readAtDecision()).toBeDefined()
        expect(open.readAtDecision()).toBeLessThanOrEqual(attack.read + SLACK)
      }
      if (attack.held !== undefined) {
        expect(open.heldAtDecision?.()).toBeDefined()
        expect(open.heldAtDecision?.()).toBeLessThanOrEqual(attack.held + SLACK)
      }
    },
    60_000,
  )
})

describe('a legitimate form with its token in the first 64 KiB', () => {
  it.each(['fetch', 'hono'] as const)(
    '%s: passes, and the handler reads the whole 1 MB body',
    async (door) => {
      open = await DOORS[door]()
      const page = await fetch(`${open.url}/`)
      const { token } = (await page.json()) as { token: string }
      const cookie = page.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ')
      const body = `_csrf=${encodeURIComponent(token)}&note=${'n'.repeat(MiB)}&last=end`
      const reply = await fetch(`${open.url}/`, {
        method: 'POST',
        headers: { cookie, 'content-type': URLENCODED },
        body,
      })
      expect(reply.status).toBe(200)
      expect(await reply.json()).toEqual({ note: MiB, last: 'end' })
    },
  )
})
