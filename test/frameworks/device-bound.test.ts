// The framework integrations run device-bound sessions (DBSC) like the adapters: registration, refresh, and a stolen cookie refused.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { afterEach, describe, expect, it } from 'vitest'
import { DbscAgent } from '../dbsc/agent.ts'
import { reasons } from '../dbsc/app.ts'
import {
  INTEGRATIONS,
  ROUTE_INTEGRATIONS,
  type IntegrationName,
} from '../support/integration-doors.ts'
import { testSessions } from '../support/sessions.ts'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  )
})

/** POST /login signs alice in; every answer is `{ userId }`. */
async function start(name: IntegrationName) {
  const world = testSessions({ deviceBound: true, cookie: { secure: false } })
  const app = INTEGRATIONS[name](
    world.sessions,
    {},
    {
      endpoint: async (request, session) => {
        if (new URL(request.url).pathname === '/login') await session.login('alice')
        return Response.json({ userId: session.userId })
      },
    },
  )
  const server = createAdaptorServer({ fetch: (request: Request) => app(request) }) as Server
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    ...world,
    agent: (supportsDbsc = true) => new DbscAgent(base, world.clock, { supportsDbsc }),
  }
}

describe('integrations with deviceBound', () => {
  for (const name of ROUTE_INTEGRATIONS) {
    it(`${name}: registers on sign-in, refreshes, and refuses the stolen session cookie`, async () => {
      const t = await start(name)
      const device = t.agent()
      expect((await device.request('POST', '/login')).json.userId).toBe('alice')
      expect(device.bound).toBeDefined() // the registration offer came, and the endpoint answered 200
      expect(t.events.filter((e) => e.type === 'dbsc.registered')).toHaveLength(1)

      const thief = t.agent(false)
      device.cloneCookiesInto(thief)
      thief.jar.delete(device.bound!.cookieName) // only the session cookie was copied
      expect((await thief.request('GET', '/open')).json.userId).toBeNull()

      t.clock.advance(10 * 60_000 + 1) // the bound cookie expired: the device refreshes with its key
      expect((await device.request('GET', '/open')).json.userId).toBe('alice')
      expect(t.events.filter((e) => e.type === 'dbsc.refreshed')).toHaveLength(1)
      expect(reasons(t.events)).toEqual(['bound_cookie_missing'])
    })
  }
})
