// Hono: responses with immutable headers, the app's own cookies and cache headers, commit errors through onError.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Browser } from '../scenarios/harness/client.ts'
import { testSessions } from '../support/sessions.ts'
import { session } from '../../src/adapters/hono.ts'

const servers: Server[] = []
afterEach(() => Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r))))))

async function serve(app: { fetch: (request: Request) => Response | Promise<Response> }): Promise<Browser> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

describe('hallpass/hono', () => {
  const { sessions } = testSessions({ schema: z.object({ n: z.number(), at: z.string() }).partial() })

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
      ;(c.get('session') as unknown as { set(k: string, v: unknown): void }).set('n', 'not a number')
      return c.json({ secret: 'never sent' })
    })
    const reply = await (await serve(app)).post('/')
    expect(reply.status).toBe(500)
    expect(reply.json).toEqual({ caught: 'SESSION_DATA_INVALID' })
  })
})
