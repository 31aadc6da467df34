// Express: every way of sending holds until the commit is done; errors and other res wrappers still work.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
} from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { memoryStore } from '../../src/stores/memory.ts'
import type { Session } from '../../src/core/session.ts'
import { Browser } from '../scenarios/harness/client.ts'
import { outageStore } from '../scenarios/harness/world.ts'
import { testClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'
import { session, sessionErrors } from '../../src/adapters/express.ts'

const schema = z.object({ n: z.number(), at: z.string(), big: z.string() }).partial()
const servers: Server[] = []
afterEach(() =>
  Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  ),
)

const sessionOf = (req: Request) => req.session as unknown as Session<z.infer<typeof schema>>

async function start(
  routes: (app: Express) => void,
  before: RequestHandler[] = [],
): Promise<Browser> {
  const store = outageStore(memoryStore({ clock: testClock() }))
  store.writeDelayMs = 25
  const { sessions } = testSessions({ store, schema })
  const app = express()
  for (const middleware of before) app.use(middleware)
  app.use(session(sessions))
  app.get('/read', (req, res) => res.json(sessionOf(req).data))
  routes(app)
  app.use(sessionErrors())
  const onError: ErrorRequestHandler = (err, _req, res, _next) =>
    res.status(500).json({ caught: err.code ?? 'unknown' })
  app.use(onError)
  const server = createServer(app)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

const writeThen =
  (at: string, send: (res: express.Response) => void): RequestHandler =>
  (req, res) => {
    sessionOf(req).set('at', at)
    send(res)
  }

/** Middleware that wraps res.write and res.end the way compression does: here, upper-casing string chunks. */
const shout: RequestHandler = (_req, res, next) => {
  const { write, end } = res
  res.write = function (this: typeof res, chunk: unknown, ...rest: unknown[]) {
    return (write as (...a: unknown[]) => boolean).call(
      this,
      typeof chunk === 'string' ? chunk.toUpperCase() : chunk,
      ...rest,
    )
  } as typeof res.write
  res.end = function (this: typeof res, chunk: unknown, ...rest: unknown[]) {
    return (end as (...a: unknown[]) => typeof res).call(
      this,
      typeof chunk === 'string' ? chunk.toUpperCase() : chunk,
      ...rest,
    )
  } as typeof res.end
  next()
}

describe('hallpass/express holds the response until the commit is done', () => {
  const senders: Record<string, (res: express.Response) => void> = {
    json: (res) => res.json({ ok: true }),
    send: (res) => res.send('ok'),
    sendStatus: (res) => res.sendStatus(201),
    redirect: (res) => res.redirect('/read'),
    end: (res) => res.end('ok'),
    writeHead: (res) =>
      res
        .writeHead(200, { 'Set-Cookie': 'app=1', 'Cache-Control': 'public, max-age=60' })
        .end('ok'),
    writeHeadArray: (res) =>
      res.writeHead(200, 'Fine', ['Set-Cookie', 'app=1', 'Content-Type', 'text/plain']).end('ok'),
    flushHeaders: (res) => (res.flushHeaders(), res.end('ok')),
    sendFile: (res) => res.sendFile(fileURLToPath(import.meta.url)),
    stream: (res) => {
      res.write('a')
      setTimeout(() => (res.write('b'), res.end('c')), 5)
    },
  }

  for (const [name, send] of Object.entries(senders)) {
    it(`${name}: the next request sees the write, and the cookie rides along`, async () => {
      const browser = await start((app) => app.post('/write', writeThen(name, send)))
      const reply = await browser.post('/write')
      expect(reply.status).toBeLessThan(400)
      expect(reply.setCookies.some((c) => c.startsWith('hp='))).toBe(true)
      expect(reply.headers.get('cache-control')).toBe('no-store')
      if (name.startsWith('writeHead')) expect(reply.setCookies).toContain('app=1')
      if (name === 'stream') expect(reply.text).toBe('abc')
      if (name === 'sendFile') expect(reply.text).toContain('hallpass/express holds the response')
      expect((await browser.get('/read')).json.at).toBe(name)
    })
  }

  it('streams a large piped body intact (backpressure while held)', async () => {
    const chunk = 'x'.repeat(16 * 1024)
    const browser = await start((app) =>
      app.post('/big', (req, res) => {
        sessionOf(req).set('at', 'big')
        Readable.from(Array.from({ length: 64 }, () => chunk)).pipe(res)
      }),
    )
    const reply = await browser.post('/big')
    expect(reply.text.length).toBe(64 * chunk.length)
    expect((await browser.get('/read')).json.at).toBe('big')
  })

  it('reads as sent while the response is held: headersSent is true and setHeader throws, as without the gate', async () => {
    let seen: { sent: boolean; head: boolean; setHeader: unknown } | undefined
    const browser = await start((app) =>
      app.get('/held', (req, res) => {
        sessionOf(req).set('at', 'held')
        res.end('x')
        let setHeader: unknown
        try {
          res.setHeader('x-late', '1')
        } catch (err) {
          setHeader = (err as { code?: string }).code
        }
        seen = { sent: res.headersSent, head: Reflect.get(res, '_headerSent') === true, setHeader }
      }),
    )
    const reply = await browser.get('/held')
    expect(reply.text).toBe('x')
    expect(reply.headers.get('x-late')).toBeNull()
    expect(seen).toEqual({ sent: true, head: false, setHeader: 'ERR_HTTP_HEADERS_SENT' })
    expect((await browser.get('/read')).json.at).toBe('held')
  })

  it('commits the session behind an error response too', async () => {
    const browser = await start((app) =>
      app.post('/boom', (req) => {
        sessionOf(req).set('at', 'boom')
        throw new Error('handler failed')
      }),
    )
    const reply = await browser.post('/boom')
    expect(reply.json).toEqual({ caught: 'unknown' })
    expect((await browser.get('/read')).json.at).toBe('boom')
  })

  it('hands a commit that fails validation to the error handlers, dropping the held response', async () => {
    const browser = await start((app) =>
      app.post('/invalid', (req, res) => {
        ;(sessionOf(req) as unknown as Session).set('n', 'not a number')
        res.json({ secret: 'should never be sent' })
      }),
    )
    const reply = await browser.post('/invalid')
    expect(reply.status).toBe(500)
    expect(reply.json).toEqual({ caught: 'SESSION_DATA_INVALID' })
  })

  it('works under and over other middleware that wraps res.write and res.end', async () => {
    for (const browser of [
      await start(
        (app) =>
          app.post(
            '/w',
            writeThen('under', (res) => res.end('quiet')),
          ),
        [shout],
      ),
      await start((app) =>
        app.post(
          '/w',
          shout,
          writeThen('over', (res) => res.end('quiet')),
        ),
      ),
    ]) {
      const reply = await browser.post('/w')
      expect(reply.text).toBe('QUIET')
      expect(['under', 'over']).toContain((await browser.get('/read')).json.at)
    }
  })

  it('reads as ended once end() is held, so an "already ended?" check does not end twice', async () => {
    let seen: boolean[] = []
    const browser = await start((app) =>
      app.post('/ended', (req, res) => {
        sessionOf(req).set('at', 'ended')
        res.json({ first: true })
        seen = [res.writableEnded, res.finished]
        // Without the answer above, this second end() would be held too and throw ERR_STREAM_WRITE_AFTER_END on replay.
        if (!res.writableEnded) res.end('second')
      }),
    )
    const reply = await browser.post('/ended')
    expect(seen).toEqual([true, true])
    expect(reply.json).toEqual({ first: true })
    expect((await browser.get('/read')).json.at).toBe('ended')
  })

  it('keeps the session cookie when writeHead gets an undefined status message and the headers third', async () => {
    const browser = await start((app) =>
      app.post('/head3', (req, res) => {
        sessionOf(req).set('at', 'head3')
        res.writeHead(200, undefined as unknown as string, { 'Set-Cookie': 'app=1' }).end('x')
      }),
    )
    const reply = await browser.post('/head3')
    expect(reply.headers.getSetCookie().some((c) => c.startsWith('app=1'))).toBe(true)
    expect((await browser.get('/read')).json.at).toBe('head3')
  })

  it('keeps a wrapper installed over it for the writes that come after the commit', async () => {
    const browser = await start((app) =>
      app.post('/late', shout, (req, res) => {
        sessionOf(req).set('at', 'late')
        res.write('first ')
        // Well after the 25 ms commit: the gate has opened, and these go through the wrapper too.
        setTimeout(() => (res.write('second '), res.end('third')), 80)
      }),
    )
    expect((await browser.post('/late')).text).toBe('FIRST SECOND THIRD')
    expect((await browser.get('/read')).json.at).toBe('late')
  })
})

describe('hallpass/express does not hold a response whose commit has nothing to write', () => {
  // The response's own headersSent, not the gate's: true only once the headers have really gone out.
  // Node's `_headerSent`: set once the head was written to the socket (`headersSent` reads true while held too).
  const reallySent = (res: object): boolean => Reflect.get(res, '_headerSent') === true

  it('sends a read that changed nothing at once', async () => {
    let seen: { sent: boolean } | undefined
    const browser = await start((app) =>
      app.get('/plain', (_req, res) => {
        res.end('x')
        seen = { sent: reallySent(res) }
      }),
    )
    expect((await browser.get('/plain')).text).toBe('x')
    expect(seen).toEqual({ sent: true })
  })

  it('still holds a response whose commit writes, until the store has it', async () => {
    let sentAtEnd: boolean | undefined
    const browser = await start((app) =>
      app.post('/change', (req, res) => {
        sessionOf(req).set('at', 'change')
        res.end('x')
        sentAtEnd = reallySent(res)
      }),
    )
    await browser.post('/change')
    expect(sentAtEnd).toBe(false)
    expect((await browser.get('/read')).json.at).toBe('change')
  })

  it("adds a cookie that needs no write (the CSRF pre-session cookie) after the app's writeHead headers", async () => {
    const browser = await start((app) =>
      app.get('/form', (req, res) => {
        const token = req.csrfToken()
        res.writeHead(200, { 'Set-Cookie': 'app=1', 'Content-Type': 'text/plain' }).end(token)
      }),
    )
    const reply = await browser.get('/form')
    const cookies = reply.headers.getSetCookie()
    expect(cookies.some((c) => c.startsWith('app=1'))).toBe(true)
    expect(cookies.filter((c) => !c.startsWith('app=')).length).toBe(1) // hallpass's own, not replaced by the app's
    expect(reply.text.length).toBeGreaterThan(20)
  })

  it('gates a response whose methods another middleware replaced first on the response itself, around those', async () => {
    let sentAtEnd: boolean | undefined
    const browser = await start(
      (app) =>
        app.post('/wrapped', (req, res) => {
          sessionOf(req).set('at', 'wrapped')
          res.end('quiet')
          sentAtEnd = reallySent(res)
        }),
      [shout],
    )
    expect((await browser.post('/wrapped')).text).toBe('QUIET')
    expect(sentAtEnd).toBe(false) // held: the wrapper's end() reached the gate, not the socket
    expect((await browser.get('/read')).json.at).toBe('wrapped')
  })
})
