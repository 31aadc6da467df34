// Scenarios on a fetch runtime (Bun.serve, Deno.serve): a bare handler, and hallpass/fetch on the memory store. Runs on Bun and Deno, not Node.
import { createSessions } from 'hallpass'
import { withSession } from 'hallpass/fetch'
import { BARE_COOKIE, NO_CSRF, SECRET, userFrom } from './common.ts'

/** A fetch handler as Bun.serve and Deno.serve call it. */
export type FetchScenario = (request: Request, env?: unknown) => Promise<Response> | Response

/** No session at all: the ceiling for everything else on the same runtime. */
export function bareFetch(): FetchScenario {
  let counter = 0
  return (request) => {
    const path = new URL(request.url).pathname
    if (path === '/read') return new Response('user-1')
    if (path === '/write') return new Response(String(++counter))
    if (path === '/login') return new Response('ok', { headers: { 'set-cookie': BARE_COOKIE } })
    return new Response('', { status: 404 })
  }
}

/** hallpass/fetch with the memory store, the same three routes as every hallpass scenario on node:http. */
export function hallpassFetchMemory(
  getIp: (request: Request, env?: unknown) => string | undefined,
): FetchScenario {
  const sessions = createSessions({ secret: SECRET, cookie: { secure: false } })
  return withSession(
    sessions,
    async (request, session) => {
      const path = new URL(request.url).pathname
      if (path === '/login') {
        await session.login(userFrom(request.url))
        session.set('counter', 0)
        return new Response('ok')
      }
      if (!session.userId) return new Response('', { status: 401 })
      if (path === '/read') return new Response(session.userId)
      if (path === '/write') {
        const counter = Number(session.get('counter') ?? 0) + 1
        session.set('counter', counter)
        return new Response(String(counter))
      }
      return new Response('', { status: 404 })
    },
    { ...NO_CSRF, getIp },
  )
}
