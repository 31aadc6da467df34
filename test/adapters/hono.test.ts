// Hono: responses with immutable headers, the app's own cookies and cache headers, commit errors through onError.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Browser } from '../scenarios/harness/client.ts'
import { testSessions } from '../support/sessions.ts'
import { session, type SessionEnv } from '../../src/adapters/hono.ts'

const servers: Server[] = []
afterEach(() =>
  Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  ),
)

async function serve(app: {
  fetch: (request: Request) => Response | Promise<Response>
}): Promise<Browser> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

describe('hallpass/hono', () => {
  const { sessions } = testSessions({
    schema: z.object({ n: z.number(), at: z.string() }).partial(),
  })

  it("reads `_csrf` from the form a middleware before session() already parsed, from Hono's cache", async () => {
    const app = new Hono<SessionEnv>()
    app.use(async (c, next) => {
      if (c.req.method === 'POST') await c.req.parseBody()
      await next()
    })
    app.use(session(sessions))
    app.get('/token', (c) => c.json({ token: c.get('csrfToken')() }))
    app.post('/form', async (c) => c.json(await c.req.parseBody()))
    const browser = await serve(app)
    const token = (await browser.get('/token')).json.token as string
    const form = { 'sec-fetch-site': null, 'content-type': 'application/x-www-form-urlencoded' }
    const reply = await browser.post('/form', {
      headers: form,
      rawBody: `_csrf=${encodeURIComponent(token)}&a=1`,
    })
    expect(reply.status).toBe(200)
    expect(reply.json).toEqual({ _csrf: token, a: '1' })
    expect((await browser.post('/form', { headers: form, rawBody: 'a=1' })).status).toBe(403)
  })

  it('adds the cookie to a response whose headers are immutable (a fetch() result)', async () => {
    const upstream = await serve(new Hono().get('/', (c) => c.text('from upstream')))
    const proxy = new Hono().use(session(sessions))
    proxy.get('/read', (c) => c.json(c.get('session').data))
    proxy.post('/proxy', async (c) => {
      c.get('session').set('at', 'proxy')
      return fetch(`${upstream.base}/`)
    })
    const browser = await serve(proxy)
    const reply = await browser.post('/proxy')
    expect(reply.text).toBe('from upstream')
    expect(reply.setCookies).toHaveLength(1)
    expect((await browser.get('/read')).json).toEqual({ at: 'proxy' })
  })

  it("keeps the app's own cookies and makes no-store win over its cache headers", async () => {
    const app = new Hono().use(session(sessions))
    app.post('/', (c) => {
      c.get('session').set('at', 'x')
      c.header('set-cookie', 'theme=dark; Path=/')
      c.header('cache-control', 'public, max-age=600')
      return c.text('ok')
    })
    const reply = await (await serve(app)).post('/')
    expect(reply.setCookies).toHaveLength(2)
    expect(reply.setCookies[0]).toBe('theme=dark; Path=/')
    expect(reply.headers.get('cache-control')).toBe('no-store')
  })

  it('sends a commit that fails validation to onError', async () => {
    const app = new Hono().use(session(sessions))
    app.onError((err, c) => c.json({ caught: (err as { code?: string }).code }, 500))
    app.post('/', (c) => {
      ;(c.get('session') as unknown as { set(k: string, v: unknown): void }).set(
        'n',
        'not a number',
      )
      return c.json({ secret: 'never sent' })
    })
    const reply = await (await serve(app)).post('/')
    expect(reply.status).toBe(500)
    expect(reply.json).toEqual({ caught: 'SESSION_DATA_INVALID' })
  })
})
