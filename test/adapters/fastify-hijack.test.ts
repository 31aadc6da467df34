// Fastify reply.hijack(): the session's Set-Cookie still reaches reply.raw, so a login after hijack never leaves a phantom session.
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { session } from '../../src/adapters/fastify.ts'
import type { Session } from '../../src/core/session.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { Browser } from '../scenarios/harness/client.ts'
import { outageStore } from '../scenarios/harness/world.ts'
import { testClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'

const apps: FastifyInstance[] = []
afterEach(() => Promise.all(apps.splice(0).map((app) => app.close())))
const sessionOf = (request: FastifyRequest) => request.session as unknown as Session

async function start() {
  const store = outageStore(memoryStore({ clock: testClock() }))
  const { sessions } = testSessions({ store })
  const app = Fastify()
  apps.push(app)
  await app.register(session(sessions))
  app.get('/me', async (request) => ({
    user: sessionOf(request).userId,
    data: sessionOf(request).data,
  }))
  app.post('/hijack-login', async (request, reply) => {
    reply.hijack()
    await sessionOf(request).login('alice')
    sessionOf(request).set('theme', 'dark')
    if ((request.query as { head?: string }).head)
      reply.raw.writeHead(200, { 'content-type': 'text/plain' })
    reply.raw.end('signed in')
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    browser: new Browser(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`),
    sessions,
    store,
  }
}

describe('hallpass/fastify with reply.hijack()', () => {
  for (const head of [false, true]) {
    it(`login() and set() after hijack reach the browser (${head ? 'writeHead, then end' : 'end only'}), and no phantom session is indexed`, async () => {
      const { browser, sessions } = await start()
      const reply = await browser.post(`/hijack-login${head ? '?head=1' : ''}`)
      expect(reply.status).toBe(200)
      expect(reply.text).toBe('signed in')
      expect(reply.setCookies).toHaveLength(1)
      expect(reply.headers.get('cache-control')).toBe('no-store')
      expect((await browser.get('/me')).json).toEqual({ user: 'alice', data: { theme: 'dark' } })
      const listed = await sessions.listSessions('alice')
      expect(listed).toHaveLength(1)
    })
  }

  it('a store outage at commit after hijack answers the JSON 503 on the raw response', async () => {
    const { browser, store } = await start()
    store.failing.add('patch')
    const reply = await browser.post('/hijack-login')
    expect(reply.status).toBe(503)
    expect(reply.json.error.code).toBe('STORE_UNAVAILABLE')
    expect(reply.setCookies).toHaveLength(1) // the id was issued before the failure: its cookie still goes out
  })
})
