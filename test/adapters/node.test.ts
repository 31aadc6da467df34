// node:http and fetch adapters: the app's own headers, errors that become a bare 500, immutable responses.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Browser } from '../scenarios/harness/client.ts'
import { testSessions } from '../support/sessions.ts'
import { withSessionHeaders } from '../../src/adapters/fetch.ts'
import { withSession, type NodeHandler } from '../../src/adapters/node.ts'

const servers: Server[] = []
afterEach(() =>
  Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  ),
)

async function serve(handler: NodeHandler, onError?: (err: unknown) => void): Promise<Browser> {
  const { sessions } = testSessions()
  const server = createServer(withSession(sessions, handler, onError ? { onError } : {}))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

describe('hallpass/node', () => {
  it("appends the session cookie to the app's and makes no-store win", async () => {
    const browser = await serve((_req, session) => {
      session.set('a', 1)
      return {
        headers: {
          'set-cookie': ['theme=dark', 'lang=en'],
          'cache-control': 'public, max-age=600',
        },
        body: 'ok',
      }
    })
    const reply = await browser.get('/')
    expect(reply.setCookies.slice(0, 2)).toEqual(['theme=dark', 'lang=en'])
    expect(reply.setCookies[2]).toMatch(/^hp=/)
    expect(reply.headers.get('cache-control')).toBe('no-store')
  })

  it('turns a handler error into a bare 500 and reports it, without crashing', async () => {
    const seen: unknown[] = []
    const browser = await serve(
      () => {
        throw new Error('database password is hunter2')
      },
      (err) => seen.push(err),
    )
    const reply = await browser.get('/')
    expect(reply.status).toBe(500)
    expect(reply.json).toEqual({
      error: { code: 'INTERNAL_ERROR', message: 'Internal Server Error' },
    })
    expect(reply.text).not.toContain('hunter2')
    expect(seen).toHaveLength(1)
    expect((await browser.get('/')).status).toBe(500)
  })
})

describe('hallpass/fetch withSessionHeaders', () => {
  it('edits mutable headers in place and copies a response whose headers are immutable', async () => {
    const own = new Response('ok')
    expect(withSessionHeaders(own, { cookies: ['hp=1'], noStore: true })).toBe(own)
    expect(own.headers.getSetCookie()).toEqual(['hp=1'])
    const frozen = Response.redirect('http://127.0.0.1/next', 302)
    const copy = withSessionHeaders(frozen, { cookies: ['hp=2'], noStore: true })
    expect(copy).not.toBe(frozen)
    expect(copy.status).toBe(302)
    expect(copy.headers.get('location')).toBe('http://127.0.0.1/next')
    expect(copy.headers.getSetCookie()).toEqual(['hp=2'])
    expect(copy.headers.get('cache-control')).toBe('no-store')
  })
})
