// The request's csrfToken() in Express, Fastify and Hono: even called detached, a token that lets a POST without Fetch Metadata through; with csrf: false a CONFIG_INVALID.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import express from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { session as expressSession } from '../../src/adapters/express.ts'
import { session as fastifySession } from '../../src/adapters/fastify.ts'
import { session as honoSession } from '../../src/adapters/hono.ts'
import { isHallpassError } from '../../src/errors.ts'
import { Browser } from '../scenarios/harness/client.ts'
import { testSessions } from '../support/sessions.ts'

const servers: Server[] = []
const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  )
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

/** What /token answers: the token from the request's csrfToken(), called without its receiver, or the error code it threw. */
function tokenReply(csrfToken: () => string): { token?: string; error?: string } {
  try {
    return { token: csrfToken() }
  } catch (err) {
    return { error: isHallpassError(err) ? err.code : 'other' }
  }
}

async function listen(server: Server): Promise<Browser> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

const adapters: Record<string, (csrf: false | undefined) => Promise<Browser>> = {
  express: async (csrf) => {
    const { sessions } = testSessions()
    const app = express()
    app.use(expressSession(sessions, csrf === false ? { csrf } : {}))
    app.get('/token', (req, res) => {
      const { csrfToken } = req
      res.json(tokenReply(csrfToken))
    })
    app.post('/write', (_req, res) => res.json({ ok: true }))
    return listen(createServer(app))
  },
  fastify: async (csrf) => {
    const { sessions } = testSessions()
    const app = Fastify()
    apps.push(app)
    await app.register(fastifySession(sessions, csrf === false ? { csrf } : {}))
    app.get('/token', async (request) => {
      const { csrfToken } = request
      return tokenReply(csrfToken)
    })
    app.post('/write', async () => ({ ok: true }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    return new Browser(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`)
  },
  hono: async (csrf) => {
    const { sessions } = testSessions()
    const app = new Hono().use(honoSession(sessions, csrf === false ? { csrf } : {}))
    app.get('/token', (c) => c.json(tokenReply(c.get('csrfToken'))))
    app.post('/write', (c) => c.json({ ok: true }))
    return listen(createAdaptorServer({ fetch: app.fetch }) as Server)
  },
}

describe("the request's csrfToken()", () => {
  for (const [name, start] of Object.entries(adapters)) {
    it(`${name}: gives the token a POST without Fetch Metadata passes with (and without it the POST is refused)`, async () => {
      const browser = await start(undefined)
      const { token } = (await browser.get('/token')).json as { token: string }
      expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/)
      const bare = { 'sec-fetch-site': null }
      expect((await browser.post('/write', { headers: bare })).status).toBe(403)
      const passed = await browser.post('/write', { headers: { ...bare, 'x-csrf-token': token } })
      expect(passed.status).toBe(200)
      expect(passed.json).toEqual({ ok: true })
    })

    it(`${name}: with csrf: false, throws CONFIG_INVALID (no CSRF state) and the POST goes through`, async () => {
      const browser = await start(false)
      expect((await browser.get('/token')).json).toEqual({ error: 'CONFIG_INVALID' })
      expect((await browser.post('/write', { headers: { 'sec-fetch-site': null } })).status).toBe(
        200,
      )
    })
  }
})
