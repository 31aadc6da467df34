// Express: a held response on the wire, with real middleware over real HTTP (compression, sendFile, outages, a client that leaves).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import compression from 'compression'
import express, { type Express, type Request } from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Session } from '../../src/core/session.ts'
import type { SessionRecord } from '../../src/stores/types.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { session, sessionErrors } from '../../src/adapters/express.ts'
import { outageStore } from '../scenarios/harness/world.ts'
import { testClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'

const schema = z.object({ at: z.string() }).partial()
const sessionOf = (req: Request) => req.session as unknown as Session<z.infer<typeof schema>>
/** What the gate puts in `res._header` while it holds: it must never reach the wire nor stay after the hold. */
const PLACEHOLDER = 'hallpass holds'
const servers: Server[] = []
afterEach(() =>
  Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  ),
)

/** A promise and its resolve (Node 20 has no Promise.withResolvers). */
function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** A store whose writes wait, once latched, until `open()`: the test decides when the held response is let go. */
function latchedStore() {
  const store = outageStore(memoryStore({ clock: testClock() }))
  const entered = deferred()
  const latch = deferred()
  const created: SessionRecord[] = []
  const control = { latched: false, entered: entered.promise, open: () => latch.resolve(), created }
  for (const method of ['create', 'patch'] as const) {
    const inner = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>
    Reflect.set(store, method, async (...args: unknown[]) => {
      if (control.latched) {
        entered.resolve()
        await latch.promise
      }
      const result = await inner(...args)
      if (method === 'create') created.push(args[0] as SessionRecord)
      return result
    })
  }
  return { store, control }
}

/** An app with `session()` on a latched store (and `maxDataBytes`, if given); `build` adds the middleware and routes. */
async function serve(
  build: (app: Express, sessionMiddleware: express.RequestHandler) => void,
  maxDataBytes?: number,
) {
  const { store, control } = latchedStore()
  const app = express()
  const options = { store, schema, ...(maxDataBytes !== undefined && { maxDataBytes }) }
  build(app, session(testSessions(options).sessions))
  app.use(sessionErrors())
  const server = createServer(app)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, store, control }
}

/** Sends one raw request and resolves with every byte the server sent until it closed the connection. */
function raw(port: number, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks)))
    socket.write(request)
  })
}

const post = (path: string, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nSec-Fetch-Site: same-origin\r\nContent-Length: 0\r\nConnection: close\r\n${extra}\r\n`

/** A raw HTTP/1.1 reply: its head and its body (de-chunked, gunzipped when the head says gzip). */
function parse(bytes: Buffer): { head: string; body: string } {
  const split = bytes.indexOf('\r\n\r\n')
  const head = bytes.subarray(0, split).toString('latin1')
  let rest = bytes.subarray(split + 4)
  if (/\r\ntransfer-encoding: chunked/i.test(head)) {
    const parts: Buffer[] = []
    for (let size = 1; size > 0;) {
      const eol = rest.indexOf('\r\n')
      size = parseInt(rest.subarray(0, eol).toString('latin1'), 16)
      parts.push(rest.subarray(eol + 2, eol + 2 + size))
      rest = rest.subarray(eol + 4 + size)
    }
    rest = Buffer.concat(parts)
  }
  const gzip = /\r\ncontent-encoding: gzip/i.test(head)
  return { head, body: (gzip ? gunzipSync(rest) : rest).toString('latin1') }
}

const STORE_503 =
  '{"error":{"code":"STORE_UNAVAILABLE","message":"Sessions are temporarily unavailable. Try again shortly."}}'

describe('hallpass/express with compression installed after session()', () => {
  it('an event stream that changes the session and calls flushHeaders() first arrives gzipped and whole', async () => {
    const { port, control } = await serve((app, sessionMiddleware) => {
      app.use(sessionMiddleware)
      app.use(compression({ threshold: 0 }))
      app.post('/events', (req, res) => {
        sessionOf(req).set('at', 'events')
        res.setHeader('Content-Type', 'text/event-stream')
        res.flushHeaders()
        res.write('data: one\n\n')
        res.end('data: two\n\n')
      })
    })
    const { head, body } = parse(await raw(port, post('/events', 'Accept-Encoding: gzip\r\n')))
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(head).toMatch(/\r\ncontent-encoding: gzip\r\n/i)
    expect(head).toMatch(/\r\nset-cookie: hp=/i)
    expect(body).toBe('data: one\n\ndata: two\n\n')
    expect(control.created.map((record) => record.data)).toEqual([{ at: 'events' }])
  })

  for (const when of ['at once', 'after the gzipped body reached the gate'] as const) {
    it(`a store outage ${when} answers the clean 503, with nothing of the app's reply and no hang`, async () => {
      const endedAbove = deferred()
      const { port, store, control } = await serve((app, sessionMiddleware) => {
        app.use(sessionMiddleware)
        // Tells the test when compression, above the gate, has ended the app's gzipped reply (into the gate).
        app.use((_req, res, next) => {
          const end = res.end
          Reflect.set(
            res,
            'end',
            (...args: unknown[]) => (endedAbove.resolve(), Reflect.apply(end, res, args)),
          )
          next()
        })
        app.use(compression({ threshold: 0 }))
        app.post('/send', (req, res) => {
          sessionOf(req).set('at', 'lost')
          res.type('text').send('secret app reply '.repeat(50))
        })
      })
      if (when === 'at once') store.down = true
      else control.latched = true
      const reply = raw(port, post('/send', 'Accept-Encoding: gzip\r\n'))
      if (when !== 'at once') {
        await endedAbove.promise
        store.down = true
        control.open()
      }
      const bytes = await reply
      const { head, body } = parse(bytes)
      expect(head).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/)
      expect(head).not.toMatch(/content-encoding|set-cookie/i)
      expect(body).toBe(STORE_503)
      expect(bytes.toString('latin1')).not.toContain(PLACEHOLDER)
      expect(control.created).toEqual([])
    })
  }
})

describe('hallpass/express with compression installed after session(), a commit error', () => {
  it("that goes to the app's error handler sends that handler's reply, not the gzipped reply it replaced", async () => {
    const { port, control } = await serve((app, sessionMiddleware) => {
      app.use(sessionMiddleware)
      app.use(compression({ threshold: 0 }))
      app.post('/big', (req, res) => {
        sessionOf(req).set('at', 'x'.repeat(500))
        res.type('text').send('secret app reply '.repeat(50))
      })
      app.use(sessionErrors())
      app.use(
        (
          err: { code?: string },
          _req: Request,
          res: express.Response,
          _next: express.NextFunction,
        ) =>
          void res
            .status(413)
            .type('text')
            .send(`too large: ${String(err.code)}`),
      )
    }, 100)
    const { head, body } = parse(await raw(port, post('/big', 'Accept-Encoding: gzip\r\n')))
    expect(head).toMatch(/^HTTP\/1\.1 413 /)
    expect(body).toBe('too large: SESSION_TOO_LARGE')
    expect(control.created).toEqual([])
  })
})

describe('hallpass/express: a held response on the wire', () => {
  it("a store outage while a writeHead/write/end reply is held sends the 503 alone: no placeholder, none of the app's headers", async () => {
    const { port, store, control } = await serve((app, sessionMiddleware) => {
      app.use(sessionMiddleware)
      app.post('/change', (req, res) => {
        sessionOf(req).set('at', 'x')
        res.writeHead(201, { 'X-App': 'kept?' })
        res.write('partial ')
        res.end('done')
      })
    })
    control.latched = true
    const reply = raw(port, post('/change'))
    await control.entered
    store.down = true
    control.open()
    const bytes = await reply
    const { head, body } = parse(bytes)
    expect(head).toMatch(/^HTTP\/1\.1 503 /)
    expect(head).not.toMatch(/x-app|set-cookie/i)
    expect(body).toBe(STORE_503)
    expect(bytes.toString('latin1')).not.toContain(PLACEHOLDER)
  })

  it('a client that leaves while its reply is held: the change is stored, the placeholder is gone, the server serves on', async () => {
    let held: ServerResponse | undefined
    const finished = deferred()
    const { port, control } = await serve((app, sessionMiddleware) => {
      app.use(sessionMiddleware)
      app.post('/change', (req, res) => {
        sessionOf(req).set('at', String(req.query.at))
        held = res
        res.on('finish', () => finished.resolve())
        res.send('hello')
      })
    })
    control.latched = true
    const socket = connect(port, '127.0.0.1')
    const closed = new Promise((r) => socket.on('close', r))
    socket.write(post('/change?at=left'))
    await control.entered
    expect(held?.headersSent).toBe(true) // held: reads as sent, as without the gate
    socket.destroy()
    await closed
    control.open()
    await finished.promise
    expect(String(Reflect.get(held as object, '_header'))).not.toContain(PLACEHOLDER)
    expect(control.created.map((record) => record.data)).toEqual([{ at: 'left' }])
    const next = parse(await raw(port, post('/change?at=next')))
    expect([next.head.split('\r\n')[0], next.body]).toEqual(['HTTP/1.1 200 OK', 'hello'])
  })

  it('res.sendFile with a Range into a held reply: the 206 slice, its Content-Range and the cookie, the change stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hallpass-held-'))
    writeFileSync(join(dir, 'file.txt'), '0123456789abcdef')
    const { port, control } = await serve((app, sessionMiddleware) => {
      app.use(sessionMiddleware)
      app.post('/file', (req, res) => {
        sessionOf(req).set('at', 'file')
        res.sendFile(join(dir, 'file.txt'))
      })
    })
    const { head, body } = parse(await raw(port, post('/file', 'Range: bytes=4-9\r\n')))
    expect(head).toMatch(/^HTTP\/1\.1 206 Partial Content\r\n/)
    expect(head).toMatch(/\r\ncontent-range: bytes 4-9\/16\r\n/i)
    expect(head).toMatch(/\r\nset-cookie: hp=/i)
    expect(body).toBe('456789')
    expect(control.created.map((record) => record.data)).toEqual([{ at: 'file' }])
  })

  it('an error handler that checks res.headersSent leaves a held reply alone, and it arrives whole', async () => {
    const seen: boolean[] = []
    const { port } = await serve((app, sessionMiddleware) => {
      app.use(sessionMiddleware)
      app.post('/change', (req, res, next) => {
        sessionOf(req).set('at', 'x')
        res.send('sent before the error')
        next(new Error('after send'))
      })
      app.use((err: unknown, _req: Request, res: express.Response, next: express.NextFunction) => {
        seen.push(res.headersSent)
        if (res.headersSent) return
        next(err)
      })
    })
    const { head, body } = parse(await raw(port, post('/change')))
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(body).toBe('sent before the error')
    expect(seen).toEqual([true])
  })
})
