// Fastify: streamed payloads, commit errors through the error handler, store outages with a stream, context in hooks.
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { getSession } from '../../src/context/index.ts'
import type { Session } from '../../src/core/session.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { Browser } from '../scenarios/harness/client.ts'
import { outageStore } from '../scenarios/harness/world.ts'
import { testClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'
import { guard, session } from '../../src/adapters/fastify.ts'
import { requireAuth } from '../../src/guards/access.ts'

const apps: FastifyInstance[] = []
afterEach(() => Promise.all(apps.splice(0).map((app) => app.close())))

const sessionOf = (request: FastifyRequest) => request.session as unknown as Session

async function start(routes: (app: FastifyInstance) => void) {
  const store = outageStore(memoryStore({ clock: testClock() }))
  const { sessions } = testSessions({
    store,
    schema: z.object({ n: z.number(), at: z.string() }).partial(),
  })
  const app = Fastify()
  apps.push(app)
  await app.register(session(sessions))
  app.get('/read', async (request) => sessionOf(request).data)
  app.post('/login', async (request) => (await sessionOf(request).login('u1'), { ok: true }))
  routes(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    browser: new Browser(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`),
    store,
  }
}

describe('hallpass/fastify', () => {
  it('commits before a streamed payload is sent', async () => {
    const { browser, store } = await start((a) =>
      a.post('/stream', async (request, reply) => {
        sessionOf(request).set('at', 'stream')
        return reply.type('text/plain').send(Readable.from(['a', 'b', 'c']))
      }),
    )
    store.writeDelayMs = 25
    const reply = await browser.post('/stream')
    expect(reply.text).toBe('abc')
    expect(reply.headers.get('cache-control')).toBe('no-store')
    expect((await browser.get('/read')).json).toEqual({ at: 'stream' })
  })

  it('sends a commit that fails validation through the error handler, once', async () => {
    const { browser } = await start((a) => {
      a.setErrorHandler((err: { code?: string }, _request, reply) =>
        reply.code(500).send({ caught: err.code }),
      )
      a.post('/invalid', async (request) => {
        sessionOf(request).set('n', 'not a number')
        return { secret: 'never sent' }
      })
    })
    const reply = await browser.post('/invalid')
    expect(reply.status).toBe(500)
    expect(reply.json).toEqual({ caught: 'SESSION_DATA_INVALID' })
  })

  it('replaces a streamed reply with the 503 when the commit finds the store down', async () => {
    let stream: Readable | undefined
    const { browser, store } = await start((a) =>
      a.post('/stream', async (request, reply) => {
        sessionOf(request).set('at', 'x')
        store.down = true
        stream = Readable.from(['secret'])
        return reply.header('x-app', '1').send(stream)
      }),
    )
    const reply = await browser.post('/stream')
    expect(reply.status).toBe(503)
    expect(reply.json.error.code).toBe('STORE_UNAVAILABLE')
    expect(reply.headers.get('x-app')).toBeNull()
    expect(stream?.destroyed).toBe(true)
  })

  it('gives getSession() to route hooks and handlers, after body parsing', async () => {
    const { browser } = await start((a) =>
      a.post(
        '/ctx',
        {
          onRequest: guard(requireAuth()),
          preHandler: async (request) =>
            void (request.headers['x-seen'] = String(getSession() === sessionOf(request))),
        },
        async (request) => ({
          hook: request.headers['x-seen'],
          handler: getSession() === sessionOf(request),
        }),
      ),
    )
    expect((await browser.post('/ctx', { body: { a: 1 } })).status).toBe(401)
    await browser.post('/login')
    expect((await browser.post('/ctx', { body: { a: 1 } })).json).toEqual({
      hook: 'true',
      handler: true,
    })
  })
})
