// The client-address Worker: set up as workers.md says (Durable Object store), with and without trustCloudflare, through both front doors.
import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { createSessions, type Session } from '../../src/index.ts'
import { withSession } from '../../src/adapters/fetch.ts'
import { session as honoSession, type SessionEnv } from '../../src/adapters/hono.ts'
import { clientIp, honoClientIp } from '../../src/runtime/workers.ts'
import { durableObjectStore, type DurableNamespace } from '../../src/stores/durable-object/index.ts'

export { HallpassSessions } from '../../src/stores/durable-object/index.ts'

const bindings = env as unknown as { SESSIONS: DurableNamespace; SESSION_SECRET: string }
const sessions = createSessions({
  secret: bindings.SESSION_SECRET,
  store: durableObjectStore(bindings.SESSIONS),
  cookie: { secure: false },
})

/** `POST login?user=` signs in; `GET devices` is the user's device list: each session's recorded address. */
async function route(request: Request, session: Session): Promise<Response> {
  const url = new URL(request.url)
  if (request.method === 'POST' && url.pathname.endsWith('/login')) {
    await session.login(url.searchParams.get('user') ?? '')
    return Response.json({ ip: session.ip ?? null })
  }
  const devices = await sessions.listSessions(session.userId ?? '')
  return Response.json(devices.map((device) => device.ip))
}

/** The three ways a Worker can be set up: trusting CF-Connecting-IP, not trusting it, and no getIp at all. */
const MODES = {
  trusted: { trustCloudflare: true },
  untrusted: { trustCloudflare: false },
  none: undefined,
} as const

const doors: Record<string, (request: Request, env: unknown) => Promise<Response>> = {}
for (const [mode, trust] of Object.entries(MODES)) {
  doors[`fetch/${mode}`] = withSession(sessions, route, trust ? { getIp: clientIp(trust) } : {})
  const app = new Hono<SessionEnv>()
  app.use(honoSession(sessions, trust ? { getIp: honoClientIp(trust) } : {}))
  app.all('*', (c) => route(c.req.raw, c.get('session')))
  doors[`hono/${mode}`] = (request, bindings) => Promise.resolve(app.fetch(request, bindings))
}

export default {
  fetch(request: Request, bindings: unknown): Promise<Response> | Response {
    const [, door, mode] = new URL(request.url).pathname.split('/')
    const handler = doors[`${door}/${mode}`]
    return handler ? handler(request, bindings) : new Response('not found', { status: 404 })
  },
}
