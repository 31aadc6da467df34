// The framework integrations run device-bound sessions (DBSC) like the adapters: registration, refresh, and a stolen cookie refused.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Session } from '../../src/core/session.ts'
import { sessionMiddleware } from '../../src/integrations/astro.ts'
import { nextSessions } from '../../src/integrations/next.ts'
import { handleSession } from '../../src/integrations/sveltekit.ts'
import { tanstackSessions } from '../../src/integrations/tanstack-start.ts'
import { DbscAgent } from '../dbsc/agent.ts'
import { reasons } from '../dbsc/app.ts'
import { testSessions } from '../support/sessions.ts'

// `server-only` only throws when imported outside a React Server bundle; the calls under test need no bundle.
vi.mock('server-only', () => ({}))
vi.mock('@tanstack/react-start/server-only', () => ({}))

type World = ReturnType<typeof testSessions>
type Handler = (request: Request, session: Session) => Promise<Response>
type Fetch = (request: Request) => Promise<Response>

/** Each integration's entry point as a fetch function around the same app handler. */
const doors: Record<string, (sessions: World['sessions'], handler: Handler) => Fetch> = {
  'hallpass/astro': (sessions, handler) => {
    const middleware = sessionMiddleware(sessions)
    return (request) => {
      const locals: { session?: Session } = {}
      const context = {
        request,
        url: new URL(request.url),
        locals,
        clientAddress: '127.0.0.1',
        isPrerendered: false,
        redirect: (path: string) => Response.redirect(new URL(path, request.url), 302),
      }
      return middleware(context, () => handler(request, locals.session!))
    }
  },
  'hallpass/sveltekit': (sessions, handler) => {
    const handle = handleSession(sessions)
    return (request) => {
      const locals: { session?: Session } = {}
      const event = {
        request,
        url: new URL(request.url),
        locals,
        getClientAddress: () => '127.0.0.1',
      }
      return handle({ event, resolve: () => handler(request, locals.session!) })
    }
  },
  'hallpass/tanstack-start': (sessions, handler) => {
    const { sessionHandler } = tanstackSessions(sessions)
    return async (request) => {
      const result = await sessionHandler({
        request,
        next: async ({ context }) => ({ response: await handler(request, context.session) }),
      })
      return result instanceof Response ? result : result.response
    }
  },
  'hallpass/next (route handlers)': (sessions, handler) => {
    const route = nextSessions(sessions).withSession(handler)
    return (request) => route(request, {})
  },
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  )
})

/** POST /login signs alice in; every answer is `{ userId }`. */
async function start(door: (typeof doors)[string]) {
  const world = testSessions({ deviceBound: true, cookie: { secure: false } })
  const app = door(world.sessions, async (request, session) => {
    if (new URL(request.url).pathname === '/login') await session.login('alice')
    return Response.json({ userId: session.userId })
  })
  const server = createAdaptorServer({ fetch: app }) as Server
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    ...world,
    agent: (supportsDbsc = true) => new DbscAgent(base, world.clock, { supportsDbsc }),
  }
}

describe('integrations with deviceBound', () => {
  for (const [name, door] of Object.entries(doors)) {
    it(`${name}: registers on sign-in, refreshes, and refuses the stolen session cookie`, async () => {
      const t = await start(door)
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
