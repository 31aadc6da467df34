// Fastify: a reply that writes nothing is committed in onSend's own tick, with its re-signed cookie; one that must touch is still written first.
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { session } from '../../src/adapters/fastify.ts'
import type { Session } from '../../src/core/session.ts'
import type { SecretOption } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { Browser } from '../scenarios/harness/client.ts'
import { outageStore } from '../scenarios/harness/world.ts'
import { testClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'

const OLD = 'fastify-now-old-secret-0123456789-abcdefgh'
const NEW = 'fastify-now-new-secret-9876543210-qrstuvwx'
const schema = z.object({ at: z.string() }).partial()
const apps: FastifyInstance[] = []
afterEach(() => Promise.all(apps.splice(0).map((app) => app.close())))
const sessionOf = (request: FastifyRequest) =>
  request.session as unknown as Session<z.infer<typeof schema>>

const clock = testClock()
const store = outageStore(memoryStore({ clock }))
let late: unknown

async function start(secret: SecretOption) {
  const { sessions } = testSessions({ store, schema, clock, secret })
  const app = Fastify()
  apps.push(app)
  await app.register(session(sessions))
  app.post('/change', async (request) => (sessionOf(request).set('at', 'x'), { ok: true }))
  app.get('/stream', async (request, reply) =>
    reply.type('text/plain').send(Readable.from([String(sessionOf(request).get('at')), '!'])),
  )
  app.get('/hijack', async (request, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'app=1' })
    reply.raw.end(String(sessionOf(request).get('at')))
    try {
      sessionOf(request).set('at', 'late')
    } catch (err) {
      late = err
    }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return new Browser(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`)
}

describe('hallpass/fastify commits a reply with nothing to write at once', () => {
  it('re-signs an old-key cookie on a streamed read and on a hijacked one, and refuses a change after the hijacked end()', async () => {
    const old = await start(OLD)
    await old.post('/change')
    const oldCookie = old.cookie as string
    const rotated = await start([NEW, OLD])
    for (const path of ['/stream', '/hijack']) {
      const reply = await rotated.get(path, { cookie: oldCookie })
      expect(reply.text).toBe(path === '/stream' ? 'x!' : 'x')
      const resigned = reply.setCookies.find((c) => c.startsWith('hp='))
      expect(resigned?.split(';')[0]).toMatch(/^hp=/)
      expect(resigned?.split(';')[0]).not.toBe(oldCookie)
      if (path === '/hijack') expect(reply.setCookies.some((c) => c.startsWith('app=1'))).toBe(true)
    }
    expect((late as { code?: string } | undefined)?.code).toBe('SESSION_COMMITTED')
    const retired = await start(NEW)
    const renewed = (await rotated.get('/stream', { cookie: oldCookie })).setCookies[0]?.split(
      ';',
    )[0] as string
    expect((await retired.get('/stream', { cookie: renewed })).text).toBe('x!')
  })

  it('writes the touch of a streamed read first, and answers 503 when it cannot', async () => {
    const browser = await start(NEW)
    await browser.post('/change')
    clock.advance(61_000)
    store.failing.add('patch')
    const reply = await browser.get('/stream')
    store.failing.delete('patch')
    expect(reply.status).toBe(503)
    expect((await browser.get('/stream')).text).toBe('x!')
  })
})
