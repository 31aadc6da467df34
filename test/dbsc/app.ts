// A small fetch-adapter app over real HTTP for the DBSC tests, with the manager's clock and event log.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { afterEach } from 'vitest'
import { guard, withSession } from '../../src/adapters/fetch.ts'
import { requireBoundDevice } from '../../src/dbsc/index.ts'
import type { SessionsOptions } from '../../src/index.ts'
import { testSessions } from '../support/sessions.ts'
import { DbscAgent } from './agent.ts'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(
    servers
      .splice(0)
      .map((s) => new Promise((resolve) => (s.closeAllConnections(), s.close(resolve)))),
  )
})

/**
 * A fetch-adapter app: POST /login, POST /logout, POST /regenerate (`?roles=a,b` changes the roles), POST /set?k=v,
 * GET /open, GET /guarded (requireBoundDevice). Every answer is `{ userId, id, roles, data }` of the session.
 */
export async function start(options: Partial<SessionsOptions> = {}) {
  const world = testSessions({ deviceBound: true, ...options })
  const app = withSession(world.sessions, async (request, session) => {
    const url = new URL(request.url)
    const roles = url.searchParams.get('roles')
    if (url.pathname === '/login')
      await session.login(url.searchParams.get('user') ?? 'alice', { roles: ['user'] })
    if (url.pathname === '/logout') await session.logout()
    if (url.pathname === '/regenerate')
      await session.regenerate(roles === null ? {} : { roles: roles.split(',') })
    if (url.pathname === '/set')
      for (const [key, value] of url.searchParams) session.set(key, value)
    if (url.pathname === '/guarded')
      return guard(requireBoundDevice(), async () => Response.json({ ok: true }))(request, session)
    return Response.json({
      userId: session.userId,
      id: session.id,
      roles: session.roles,
      data: session.data,
    })
  })
  const server = createAdaptorServer({ fetch: app }) as Server
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    ...world,
    base,
    agent: (o?: ConstructorParameters<typeof DbscAgent>[2]) => new DbscAgent(base, world.clock, o),
  }
}

/** The reasons of the `dbsc.rejected` events, in order. */
export const reasons = (events: { type: string; reason?: string }[]) =>
  events.flatMap((e) => (e.type === 'dbsc.rejected' ? [e.reason] : []))
