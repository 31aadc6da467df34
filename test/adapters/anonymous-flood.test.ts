// #24 over real HTTP: cookieless writes to anonymous sessions never sign a user out (hallpass/fetch, hallpass/node).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { afterEach, describe, expect, it } from 'vitest'
import * as fetchAdapter from '../../src/adapters/fetch.ts'
import * as nodeAdapter from '../../src/adapters/node.ts'
import type { Session } from '../../src/core/session.ts'
import { STORE_DOWN as STORE_DOWN_REPLY } from '../../src/pipeline/replies.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { Browser } from '../scenarios/harness/client.ts'
import { testClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'

const STORE_DOWN = JSON.parse(STORE_DOWN_REPLY.body) as unknown

/** The app: `/login?user=` signs in, `/visit` counts visits in the (anonymous) session, `/whoami` reads it. */
async function route(path: string, session: Session): Promise<{ status: number; json: unknown }> {
  const url = new URL(path, 'http://app')
  if (url.pathname === '/login') await session.login(url.searchParams.get('user') as string)
  if (url.pathname === '/visit') session.set('visits', Number(session.get('visits') ?? 0) + 1)
  return { status: 200, json: { userId: session.userId } }
}

const servers: Server[] = []
afterEach(() =>
  Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  ),
)

const ADAPTERS = {
  fetch: (sessions: ReturnType<typeof testSessions>['sessions']) =>
    createAdaptorServer({
      fetch: fetchAdapter.withSession(sessions, async (request, session) => {
        const out = await route(request.url, session)
        return Response.json(out.json, { status: out.status })
      }),
    }) as Server,
  node: (sessions: ReturnType<typeof testSessions>['sessions']) =>
    createServer(
      nodeAdapter.withSession(sessions, async (req, session) => {
        const out = await route(req.url ?? '/', session)
        return {
          status: out.status,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(out.json),
        }
      }),
    ),
}

async function start(adapter: keyof typeof ADAPTERS, maxSessions: number) {
  const clock = testClock()
  const world = testSessions({ clock, store: memoryStore({ clock, maxSessions }) })
  const server = ADAPTERS[adapter](world.sessions)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { ...world, url, browser: () => new Browser(url) }
}

for (const adapter of Object.keys(ADAPTERS) as Array<keyof typeof ADAPTERS>) {
  describe(`anonymous flood over HTTP [${adapter}]`, () => {
    it('120 cookieless writes into a 10-session store leave the signed-in user signed in', async () => {
      const app = await start(adapter, 10)
      const alice = app.browser()
      expect((await alice.post('/login?user=alice')).status).toBe(200)
      const attacker = app.browser()
      for (let i = 0; i < 120; i++) {
        const reply = await attacker.get('/visit', { cookie: null })
        expect(reply.status).toBe(200)
        expect(reply.setCookies).toHaveLength(1)
      }
      expect((await alice.get('/whoami')).json).toEqual({ userId: 'alice' })
      expect(app.events.filter((e) => e.type === 'session.revoked')).toEqual([])
    })

    it('full of signed-in sessions: anonymous writes get 503, no cookie; a login evicts the LRU user', async () => {
      const app = await start(adapter, 3)
      const users = ['alice', 'bob', 'carol'].map((user) => ({ user, browser: app.browser() }))
      for (const { user, browser } of users) {
        expect((await browser.post(`/login?user=${user}`)).json).toEqual({ userId: user })
      }
      const refused = await app.browser().get('/visit')
      expect(refused.status).toBe(503)
      expect(refused.json).toEqual(STORE_DOWN)
      expect(refused.setCookies).toEqual([])
      for (const { user, browser } of users)
        expect((await browser.get('/whoami')).json).toEqual({ userId: user })

      expect((await app.browser().post('/login?user=dave')).json).toEqual({ userId: 'dave' })
      const revoked = app.events.filter((e) => e.type === 'session.revoked')
      expect(revoked).toMatchObject([{ userId: 'alice', reason: 'evicted' }])
      expect((await users[0]!.browser.get('/whoami')).json).toEqual({ userId: null })
      expect((await users[1]!.browser.get('/whoami')).json).toEqual({ userId: 'bob' })
    })
  })
}
