// Express: the watching gate (only writeHead until the session is about to change) still commits every change before the response's first byte, over real HTTP.
import { createServer, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import compression from 'compression'
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { HallpassError } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import type { Session } from '../../src/core/session.ts'
import type { Sessions } from '../../src/core/manager.ts'
import { Browser, type Reply } from '../scenarios/harness/client.ts'
import { outageStore } from '../scenarios/harness/world.ts'
import { testClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'
import { session, sessionErrors } from '../../src/adapters/express.ts'

// on-headers ships no types: the one call used here.
const onHeaders = createRequire(import.meta.url)('on-headers') as (
  res: ServerResponse,
  listener: () => void,
) => void

const schema = z.object({ at: z.string(), n: z.number() }).partial()
type Data = z.infer<typeof schema>
// Long enough that a reply sent before the write lands is read by the test before the store has it.
const WRITE_DELAY_MS = 150

const servers: Server[] = []
afterEach(() =>
  Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  ),
)

const sessionOf = (req: Request) => req.session as unknown as Session<Data>
/** The session an earlier session() put on the request, kept before a later one replaced req.session. */
const firstOf = (req: Request) => (req as unknown as { first: Session<Data> }).first
const keepFirst: RequestHandler = (req, _res, next) => (
  ((req as unknown as { first: unknown }).first = req.session),
  next()
)

/** A manager whose store writes land WRITE_DELAY_MS late, and a reader of what the store holds right now. */
function manager(cookieName = 'hp') {
  const clock = testClock()
  const store = outageStore(memoryStore({ clock }))
  store.writeDelayMs = WRITE_DELAY_MS
  const { sessions } = testSessions({
    store,
    schema,
    clock,
    cookie: { secure: false, name: cookieName },
  })
  const stored = async (reply: Reply): Promise<Data | undefined> => {
    const pair = reply.setCookies.find((c) => c.startsWith(`${cookieName}=`))?.split(';')[0]
    return pair ? (await sessions.load({ cookie: pair })).data : undefined
  }
  return { sessions, store, stored }
}

async function listen(app: Express): Promise<Browser> {
  const server = createServer(app)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

/** An app with session() and sessionErrors() around `routes`. */
async function appWith(
  sessions: Sessions<Data>,
  routes: (app: Express) => void,
  before: RequestHandler[] = [],
) {
  const app = express()
  for (const middleware of before) app.use(middleware)
  app.use(session(sessions))
  routes(app)
  app.use(sessionErrors())
  return listen(app)
}

/** Runs `mutate` and answers with its error code (or 'ok'), so a refused change is visible in the body. */
async function codeOf(mutate: () => unknown): Promise<string> {
  try {
    await mutate()
    return 'ok'
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  }
}

// On GET the gate only watches until the change arms it; on POST it holds from the start: both must store first.
describe.each(['get', 'post'] as const)(
  'a change reaches the store before the reply, whatever sends it (%s)',
  (method) => {
    const senders: Array<[string, (req: Request, res: Response, next: NextFunction) => void]> = [
      ['res.end()', (_req, res) => void res.end('sent')],
      ['res.json()', (_req, res) => void res.json('sent')],
      [
        'writeHead() then end()',
        (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('sent'),
      ],
      ['flushHeaders() then end()', (_req, res) => (res.flushHeaders(), void res.end('sent'))],
      ['a piped stream', (_req, res) => void Readable.from(['se', 'nt']).pipe(res)],
      ['res.redirect()', (_req, res) => res.redirect('/elsewhere')],
      ['a 204', (_req, res) => void res.status(204).end()],
      ['a 304', (_req, res) => void res.status(304).end()],
    ]
    for (const [name, send] of senders) {
      it(`${name}: the change is stored when the client has the reply`, async () => {
        const { sessions, stored } = manager()
        const browser = await appWith(sessions, (app) =>
          app[method]('/change', (req, res, next) => {
            sessionOf(req).set('at', name)
            send(req, res, next)
          }),
        )
        const reply = await browser[method]('/change')
        expect(await stored(reply)).toEqual({ at: name })
      })
    }

    it('res.sendFile(): stored before the file’s bytes, and the file arrives whole', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hallpass-watch-'))
      writeFileSync(join(dir, 'page.txt'), 'file body '.repeat(5000))
      const { sessions, stored } = manager()
      const browser = await appWith(sessions, (app) =>
        app[method]('/file', (req, res) => {
          sessionOf(req).set('at', 'file')
          res.sendFile(join(dir, 'page.txt'))
        }),
      )
      const reply = await browser[method]('/file')
      expect(reply.text).toBe('file body '.repeat(5000))
      expect(await stored(reply)).toEqual({ at: 'file' })
    })

    it('a HEAD whose handler changes the session: stored, with its cookie', async () => {
      const { sessions, stored } = manager()
      const browser = await appWith(sessions, (app) =>
        app.get('/page', (req, res) => {
          sessionOf(req).set('at', req.method)
          res.send('page')
        }),
      )
      const reply = await browser.request('HEAD', '/page')
      expect(await stored(reply)).toEqual({ at: 'HEAD' })
    })

    it('an un-awaited set() right before res.end() is held like an awaited one', async () => {
      const { sessions, stored } = manager()
      const browser = await appWith(sessions, (app) =>
        app[method]('/change', (req, res) => {
          void Promise.resolve().then(() => res.end('late'))
          sessionOf(req).set('at', 'racing')
        }),
      )
      const reply = await browser[method]('/change')
      expect(reply.text).toBe('late')
      expect(await stored(reply)).toEqual({ at: 'racing' })
    })

    it('a change in a mounted sub-app is stored before its reply', async () => {
      const { sessions, stored } = manager()
      const sub = express()
      sub[method]('/change', (req, res) => {
        sessionOf(req).set('at', 'sub')
        res.send('sub')
      })
      const browser = await appWith(sessions, (app) => app.use('/sub', sub))
      expect(await stored(await browser[method]('/sub/change'))).toEqual({ at: 'sub' })
    })

    for (const where of ['before', 'after'] as const) {
      it(`compression installed ${where} session(): stored before the gzipped body`, async () => {
        const { sessions, stored } = manager()
        const zip = compression({ threshold: 0 })
        const browser = await appWith(
          sessions,
          (app) => {
            if (where === 'after') app.use(zip)
            app[method]('/gz', (req, res) => {
              sessionOf(req).set('at', where)
              res.type('text').send('zipped '.repeat(400))
            })
          },
          where === 'before' ? [zip] : [],
        )
        const reply = await browser[method]('/gz')
        expect(reply.headers.get('content-encoding')).toBe('gzip')
        expect(reply.text).toBe('zipped '.repeat(400))
        expect(await stored(reply)).toEqual({ at: where })
      })
    }

    it('an on-headers wrapper installed after session(), then a change: stored, and the wrapper still runs once', async () => {
      const { sessions, stored } = manager()
      let ran = 0
      const browser = await appWith(sessions, (app) => {
        app.use(
          (_req, res, next) => (
            onHeaders(res, () => void (ran++, res.setHeader('x-wrapped', 'yes'))),
            next()
          ),
        )
        app[method]('/change', (req, res) => {
          sessionOf(req).set('at', 'wrapped')
          res.send('wrapped')
        })
      })
      const reply = await browser[method]('/change')
      expect(reply.headers.get('x-wrapped')).toBe('yes')
      expect(ran).toBe(1)
      expect(await stored(reply)).toEqual({ at: 'wrapped' })
    })
  },
)

describe('a change after the response started is refused, as with the full gate', () => {
  const starters: Array<[string, (res: Response) => void]> = [
    ['writeHead()', (res) => void res.writeHead(200, { 'content-type': 'text/plain' })],
    ['write()', (res) => void res.write('first ')],
    ['flushHeaders()', (res) => res.flushHeaders()],
  ]
  for (const [name, start] of starters) {
    it(`login() after ${name} throws SESSION_COMMITTED; the reply ends normally, signed out`, async () => {
      const { sessions, stored } = manager()
      const browser = await appWith(sessions, (app) =>
        app.post('/late', async (req, res) => {
          start(res)
          res.end(await codeOf(() => sessionOf(req).login('mallory')))
        }),
      )
      const reply = await browser.post('/late')
      expect(reply.text).toMatch(/SESSION_COMMITTED$/)
      expect(reply.setCookies).toEqual([])
      expect(await stored(reply)).toBeUndefined()
    })
  }

  it('set() inside an on-headers listener installed after session(): refused loudly (500), never a reply without its headers', async () => {
    const { sessions, store } = manager()
    let writes = 0
    const create = store.create.bind(store)
    store.create = (...args) => (writes++, create(...args))
    const browser = await appWith(sessions, (app) => {
      app.use(
        (req, res, next) => (onHeaders(res, () => sessionOf(req).set('at', 'in-headers')), next()),
      )
      app.get('/page', (_req, res) => void res.send('page body'))
    })
    // The change runs inside a first writeHead already under way (from Node's own end()): too late to hold.
    const reply = await browser.get('/page')
    expect(reply.status).toBe(500)
    expect(reply.text).not.toContain('page body')
    expect(reply.setCookies).toEqual([])
    expect(writes).toBe(0)
  })

  for (const where of ['before', 'after'] as const) {
    it(`set() inside a res.end wrapper installed ${where} session() (express-session style): refused loudly (500), never a reply without its headers`, async () => {
      const { sessions, store } = manager()
      let writes = 0
      const create = store.create.bind(store)
      store.create = (...args) => (writes++, create(...args))
      const saveOnEnd: RequestHandler = (req, res, next) => {
        const end = res.end
        res.end = function (this: Response, ...args: unknown[]) {
          sessionOf(req).set('at', 'in-end')
          return (end as (...a: unknown[]) => Response).apply(this, args)
        } as typeof res.end
        next()
      }
      const browser = await appWith(
        sessions,
        (app) => {
          if (where === 'after') app.use(saveOnEnd)
          app.get('/page', (_req, res) => void res.send('page body'))
        },
        where === 'before' ? [saveOnEnd] : [],
      )
      const reply = await browser.get('/page')
      expect(reply.status).toBe(500)
      expect(reply.text).not.toContain('page body')
      expect(writes).toBe(0)
    })
  }

  it('a read through the same on-headers wrapper still goes through untouched', async () => {
    const { sessions } = manager()
    const browser = await appWith(sessions, (app) => {
      app.use(
        (_req, res, next) => (onHeaders(res, () => res.setHeader('x-wrapped', 'yes')), next()),
      )
      app.get('/page', (_req, res) => void res.send('page body'))
    })
    const reply = await browser.get('/page')
    expect(reply.headers.get('x-wrapped')).toBe('yes')
    expect(reply.text).toBe('page body')
  })
})

describe.each(['get', 'post'] as const)('session() installed twice (%s)', (method) => {
  const cases = [
    { change: 'first', order: ['first'] },
    { change: 'second', order: ['second'] },
    { change: 'both, first then second', order: ['first', 'second'] },
    { change: 'both, second then first', order: ['second', 'first'] },
  ] as const

  for (const { change, order } of cases) {
    /** Two managers (cookies a and b) on one app: the handler changes the sessions in `order`, then `send`s. */
    async function twoManagers(send: (res: Response) => void) {
      const a = manager('a')
      const b = manager('b')
      const app = express()
      app.use(session(a.sessions))
      app.use(keepFirst)
      app.use(session(b.sessions))
      app[method]('/change', (req, res) => {
        for (const which of order)
          (which === 'first' ? firstOf(req) : sessionOf(req)).set('at', which)
        send(res)
      })
      app.use(sessionErrors())
      return { a, b, reply: await (await listen(app))[method]('/change') }
    }

    it(`two managers (cookies a and b), a change on ${change}: every change stored before the reply, both cookies sent`, async () => {
      const { a, b, reply } = await twoManagers((res) => void res.send('both'))
      expect(reply.status).toBe(200)
      expect(await a.stored(reply)).toEqual(
        (order as readonly string[]).includes('first') ? { at: 'first' } : undefined,
      )
      expect(await b.stored(reply)).toEqual(
        (order as readonly string[]).includes('second') ? { at: 'second' } : undefined,
      )
    })

    it(`two managers, a change on ${change}, then writeHead() and end(): the reply arrives whole with every change stored`, async () => {
      const { a, b, reply } = await twoManagers(
        (res) => void res.writeHead(201, { 'content-type': 'text/plain' }).end('head then end'),
      )
      expect(reply.status).toBe(201)
      expect(reply.text).toBe('head then end')
      expect(await a.stored(reply)).toEqual(
        (order as readonly string[]).includes('first') ? { at: 'first' } : undefined,
      )
      expect(await b.stored(reply)).toEqual(
        (order as readonly string[]).includes('second') ? { at: 'second' } : undefined,
      )
    })

    it(`one manager twice, a change on ${change}: every change stored before the reply`, async () => {
      const { sessions, stored } = manager()
      const app = express()
      app.use(session(sessions))
      app.use(keepFirst)
      app.use(session(sessions))
      app[method]('/change', (req, res) => {
        for (const which of order)
          (which === 'first' ? firstOf(req) : sessionOf(req)).set(
            which === 'first' ? 'at' : 'n',
            which === 'first' ? 'first' : 2,
          )
        res.send('twice')
      })
      app.use(sessionErrors())
      const reply = await (await listen(app))[method]('/change')
      expect(reply.status).toBe(200)
      // Each session is its own new one here: every Set-Cookie names a stored session with its change.
      const cookies = reply.setCookies.filter((c) => c.startsWith('hp='))
      expect(cookies).toHaveLength(order.length)
      const all = await Promise.all(
        cookies.map((c) =>
          sessions.load({ cookie: c.split(';')[0] as string }).then((s) => s.data),
        ),
      )
      expect(all).toEqual(
        expect.arrayContaining(
          order.map((which) => (which === 'first' ? { at: 'first' } : { n: 2 })),
        ),
      )
      expect(await stored(reply)).toBeDefined()
    })
  }
})

describe('errors and outages', () => {
  it('a handler that throws STORE_UNAVAILABLE itself (no session change): the 503, without hanging', async () => {
    const { sessions } = manager()
    const browser = await appWith(sessions, (app) =>
      app.get('/boom', () => {
        throw new HallpassError('STORE_UNAVAILABLE', 'down')
      }),
    )
    const reply = await browser.get('/boom')
    expect(reply.status).toBe(503)
    expect(reply.setCookies).toEqual([])
  })

  it('a change, then a handler that throws STORE_UNAVAILABLE: the 503, and the change is not written', async () => {
    const { sessions, store } = manager()
    const browser = await appWith(sessions, (app) =>
      app.post('/boom', (req) => {
        sessionOf(req).set('at', 'never')
        throw new HallpassError('STORE_UNAVAILABLE', 'down')
      }),
    )
    let writes = 0
    const create = store.create.bind(store)
    store.create = (...args) => (writes++, create(...args))
    const reply = await browser.post('/boom')
    expect(reply.status).toBe(503)
    expect(reply.setCookies).toEqual([])
    expect(writes).toBe(0)
  })

  it('a store outage while committing a change: only the 503 is sent, not the app’s body', async () => {
    const { sessions, store } = manager()
    const browser = await appWith(sessions, (app) =>
      app.post('/change', (req, res) => {
        sessionOf(req).set('at', 'lost')
        res.send('app body that must not leave')
      }),
    )
    store.failing.add('create')
    const reply = await browser.post('/change')
    expect(reply.status).toBe(503)
    expect(reply.text).not.toContain('app body')
    expect(reply.setCookies).toEqual([])
  })

  it('update() rejecting with SESSION_GONE answers the 409, with the clearing cookie', async () => {
    const { sessions, store } = manager()
    const browser = await appWith(sessions, (app) => {
      app.post('/start', (req, res) => (sessionOf(req).set('at', 'start'), void res.send('ok')))
      app.post('/gone', async (req, res) => {
        await store.destroy(sessionOf(req).id as string) // another request ended it meanwhile
        await sessionOf(req).update((d) => void (d.at = 'after'))
        res.send('unreachable')
      })
    })
    await browser.post('/start')
    expect(browser.cookie).toBeDefined()
    const reply = await browser.post('/gone')
    expect(reply.status).toBe(409)
    expect(reply.text).not.toContain('unreachable')
  })

  it('a read with CSRF on sends the pre-session CSRF cookie, and a POST with its token passes', async () => {
    const { sessions } = manager()
    const browser = await appWith(sessions, (app) => {
      app.get(
        '/form',
        (req, res) => void res.send((req as unknown as { csrfToken(): string }).csrfToken()),
      )
      app.post('/submit', (_req, res) => void res.send('accepted'))
    })
    const form = await browser.get('/form')
    expect(form.setCookies.some((c) => c.startsWith('hp-csrf='))).toBe(true)
    const noMetadata = { 'sec-fetch-site': null }
    expect((await browser.post('/submit', { headers: noMetadata })).status).toBe(403)
    const ok = await browser.post('/submit', {
      headers: { ...noMetadata, 'x-csrf-token': form.text },
    })
    expect(ok.text).toBe('accepted')
  })
})
