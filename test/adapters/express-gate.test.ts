// Express: the response gate survives what real apps do to the response (mounted sub-apps, a second session(), compression).
import { createServer, ServerResponse, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import compression from 'compression'
import express, { type Express, type Request, type RequestHandler, type Response } from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { memoryStore } from '../../src/stores/memory.ts'
import type { Session } from '../../src/core/session.ts'
import { Browser } from '../scenarios/harness/client.ts'
import { outageStore } from '../scenarios/harness/world.ts'
import type { SecretOption } from '../../src/index.ts'
import { testClock, type TestClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'
import { session, sessionErrors } from '../../src/adapters/express.ts'

const schema = z.object({ at: z.string() }).partial()
const OLD = 'gate-review-old-secret-0123456789-abcdefgh'
const NEW = 'gate-review-new-secret-9876543210-qrstuvwx'
const servers: Server[] = []
afterEach(() =>
  Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  ),
)

const sessionOf = (req: Request) => req.session as unknown as Session<z.infer<typeof schema>>

function manager() {
  const store = outageStore(memoryStore({ clock: testClock() }))
  store.writeDelayMs = 25
  return testSessions({ store, schema }).sessions
}

async function listen(app: Express): Promise<Browser> {
  const server = createServer(app)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

describe('hallpass/express keeps the gate through Express mounting', () => {
  it('commits a change made in a mounted sub-app before its response leaves', async () => {
    const app = express()
    app.use(session(manager()))
    const admin = express()
    admin.post('/change', (req, res) => {
      sessionOf(req).set('at', 'sub')
      res.json({ ok: true })
    })
    app.use('/admin', admin)
    app.get('/read', (req, res) => res.json(sessionOf(req).data))
    app.use(sessionErrors())
    const browser = await listen(app)
    const reply = await browser.post('/admin/change')
    expect(reply.setCookies.some((c) => c.startsWith('hp='))).toBe(true)
    expect((await browser.get('/read')).json.at).toBe('sub')
  })

  it('works with session() installed twice', async () => {
    const sessions = manager()
    const app = express()
    app.use(session(sessions))
    app.use(session(sessions))
    app.post('/change', (req, res) => {
      sessionOf(req).set('at', 'twice')
      res.json({ ok: true })
    })
    app.get('/read', (req, res) =>
      res.json({
        data: sessionOf(req).data,
        inst: res instanceof ServerResponse,
        ctor: res.constructor === ServerResponse,
      }),
    )
    const browser = await listen(app)
    const reply = await browser.post('/change')
    expect(reply.status).toBe(200)
    const read = await browser.get('/read')
    expect(read.json).toEqual({ data: { at: 'twice' }, inst: true, ctor: true })
  })
})

describe('hallpass/express gate, attacked with what real apps send', () => {
  // Node's `_headerSent`: set once the head was written to the socket (`headersSent` reads true while held too).
  const reallySent = (res: object): boolean => Reflect.get(res, '_headerSent') === true

  async function app(
    routes: (app: Express) => void,
    options: {
      before?: RequestHandler[]
      secret?: SecretOption
      store?: ReturnType<typeof outageStore>
      clock?: TestClock
    } = {},
  ) {
    const clock = options.clock ?? testClock()
    const store = options.store ?? outageStore(memoryStore({ clock }))
    const { sessions } = testSessions({
      store,
      schema,
      clock,
      ...(options.secret !== undefined && { secret: options.secret }),
    })
    const app = express()
    for (const middleware of options.before ?? []) app.use(middleware)
    app.use(session(sessions))
    app.post('/change', (req, res) => {
      sessionOf(req).set('at', String(req.query.at ?? 'x'))
      res.send('changed '.repeat(200))
    })
    app.get('/read', (req, res) => res.json(sessionOf(req).data))
    routes(app)
    app.use(sessionErrors())
    return { browser: await listen(app), store, clock, sessions }
  }

  for (const where of ['before', 'after'] as const) {
    it(`compression ${where} session(): a write is committed before the gzipped body, a read goes through`, async () => {
      const { browser } = await app(
        (a) => {
          if (where === 'after') a.use(compression({ threshold: 0 }))
          a.post('/gz', (req, res) => {
            sessionOf(req).set('at', where)
            res.type('text').send('zipped '.repeat(500))
          })
          a.get('/gz', (req, res) =>
            res.type('text').send(`read ${sessionOf(req).get('at')} `.repeat(200)),
          )
        },
        where === 'before' ? { before: [compression({ threshold: 0 })] } : {},
      )
      const wrote = await browser.post('/gz')
      expect(wrote.headers.get('content-encoding')).toBe('gzip')
      expect(wrote.text).toBe('zipped '.repeat(500))
      expect(wrote.setCookies.some((c) => c.startsWith('hp='))).toBe(true)
      const read = await browser.get('/gz')
      expect(read.headers.get('content-encoding')).toBe('gzip')
      expect(read.text).toBe(`read ${where} `.repeat(200))
    })
  }

  it('re-signs a cookie of the previous key on a read that writes nothing, next to the app’s own writeHead cookie', async () => {
    const clock = testClock()
    const store = outageStore(memoryStore({ clock }))
    const old = await app(() => {}, { secret: OLD, store, clock })
    await old.browser.post('/change?at=old')
    const oldCookie = old.browser.cookie as string
    const rotated = await app(
      (a) =>
        a.get('/head', (req, res) =>
          res
            .writeHead(200, ['Set-Cookie', 'app=1', 'Content-Type', 'text/plain'])
            .end(String(sessionOf(req).get('at'))),
        ),
      { secret: [NEW, OLD], store, clock },
    )
    const reply = await rotated.browser.get('/head', { cookie: oldCookie })
    expect(reply.text).toBe('old')
    const cookies = reply.setCookies
    expect(cookies.some((c) => c.startsWith('app=1'))).toBe(true)
    const resigned = cookies.find((c) => c.startsWith('hp='))
    expect(resigned).toBeDefined()
    expect(resigned?.split(';')[0]).not.toBe(oldCookie)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    const retired = await app(() => {}, { secret: NEW, store, clock })
    expect(
      (await retired.browser.get('/read', { cookie: (resigned as string).split(';')[0] as string }))
        .json,
    ).toEqual({ at: 'old' })
  })

  it('holds a read once the touch interval has passed, and answers 503 when that touch cannot be written', async () => {
    const { browser, store, clock } = await app(() => {})
    await browser.post('/change')
    clock.advance(61_000)
    store.failing.add('patch')
    const reply = await browser.get('/read')
    expect(reply.status).toBe(503)
    store.failing.delete('patch')
    expect((await browser.get('/read')).status).toBe(200)
  })

  it('refuses a change made after res.end() of a read that wrote nothing (SESSION_COMMITTED), rather than losing it', async () => {
    let late: unknown
    const { browser } = await app((a) =>
      a.get('/late', (req, res) => {
        res.end('done')
        try {
          sessionOf(req).set('at', 'late')
        } catch (err) {
          late = err
        }
      }),
    )
    await browser.post('/change')
    expect((await browser.get('/late')).text).toBe('done')
    expect((late as { code?: string } | undefined)?.code).toBe('SESSION_COMMITTED')
    expect((await browser.get('/read')).json).toEqual({ at: 'x' })
  })

  it('answers HEAD, 304 (ETag), 204 and flushHeaders-first reads with the gate on, and keeps the response a ServerResponse', async () => {
    let kind: unknown
    const { browser } = await app((a) => {
      a.get('/etag', (req, res) => {
        kind = {
          instance: res instanceof ServerResponse,
          ctor: res.constructor === ServerResponse,
          sent: reallySent(res),
        }
        res.send('same body for etag')
      })
      a.get('/empty', (_req, res) => res.sendStatus(204))
      a.get('/flush', (_req, res) => {
        res.flushHeaders()
        res.end('flushed')
      })
    })
    await browser.post('/change')
    const first = await browser.get('/etag')
    const etag = first.headers.get('etag') as string
    expect(etag).toBeTruthy()
    expect(kind).toEqual({ instance: true, ctor: true, sent: false })
    const fresh = await browser.request('GET', '/etag', {
      headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' },
    })
    expect(fresh.status).toBe(304)
    expect(fresh.text).toBe('')
    const head = await browser.request('HEAD', '/etag')
    expect(head.status).toBe(200)
    expect(head.headers.get('etag')).toBe(etag)
    expect((await browser.get('/empty')).status).toBe(204)
    expect((await browser.get('/flush')).text).toBe('flushed')
  })
})

describe("hallpass/express keeps every header of the app's writeHead", () => {
  it('keeps repeated Set-Cookie entries of a raw header array, on a read and on a write', async () => {
    const app = express()
    app.use(session(manager()))
    const raw = ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Type', 'text/plain']
    app.get('/raw', (_req, res) => void res.writeHead(200, raw).end('ok'))
    app.post('/raw', (req, res) => {
      sessionOf(req).set('at', 'raw')
      res.writeHead(200, raw).end('ok')
    })
    const browser = await listen(app)
    for (const method of ['POST', 'GET']) {
      const cookies = (await browser.request(method, '/raw')).setCookies.map((c) => c.split(';')[0])
      expect(cookies.filter((c) => !c?.startsWith('hp'))).toEqual(['a=1', 'b=2'])
    }
  })
})

describe('hallpass/express adds to the response only what the request needs', () => {
  // Express gives each request's response its own hidden class, so every property put on it costs a new one
  // (docs/performance.md): the gate never puts a headersSent of its own on the response.
  it('a POST that changes nothing is never held, and no response gets an own headersSent', async () => {
    const seen: Array<{ own: boolean; sent: boolean }> = []
    const app = express()
    app.use(session(manager()))
    const look = (res: Response) =>
      seen.push({ own: Object.hasOwn(res, 'headersSent'), sent: res.headersSent })
    app.post('/same', (_req, res) => {
      res.end('same')
      look(res)
    })
    app.post('/change', (req, res) => {
      sessionOf(req).set('at', 'held')
      res.end('changed')
      look(res)
    })
    const browser = await listen(app)
    expect((await browser.post('/same')).text).toBe('same')
    expect((await browser.post('/change')).text).toBe('changed')
    expect(seen).toEqual([
      { own: false, sent: true },
      { own: false, sent: true },
    ])
  })
})
