// The scenario Worker: one app behind hallpass/fetch and hallpass/hono, on the Durable Object store and on sealed cookies.
import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { createSessions, type Session, type Sessions } from '../../src/index.ts'
import { withSession } from '../../src/adapters/fetch.ts'
import { session as honoSession, type SessionEnv } from '../../src/adapters/hono.ts'
import { sealedCookies } from '../../src/sealed/index.ts'
import { durableObjectStore, type DurableNamespace } from '../../src/stores/durable-object/index.ts'

import { HallpassSessions } from '../../src/stores/durable-object/index.ts'

/** Set by `POST /outage` (the objects run in this isolate): while true, every object call fails. */
let down = false

/** The real object, which can be made to fail: its caller's stub.fetch then rejects, as for an unreachable object. */
export class OutageSessions extends HallpassSessions {
  override async fetch(request: Request): Promise<Response> {
    if (down) throw new Error('the object is down')
    return super.fetch(request)
  }
}

const bindings = env as unknown as { SESSIONS: DurableNamespace; SESSION_SECRET: string }

// Everything below runs at module scope, as the README's quick start does.
const common = { secret: bindings.SESSION_SECRET, cookie: { secure: false } } as const
const MANAGERS: Record<string, Sessions> = {
  do: createSessions({ ...common, store: durableObjectStore(bindings.SESSIONS) }),
  sealed: createSessions({
    ...common,
    store: sealedCookies({ revocation: durableObjectStore(bindings.SESSIONS) }),
  }),
  // The quick start as written: the default (memory) store.
  memory: createSessions({ secret: bindings.SESSION_SECRET, cookie: { secure: false } }),
}

/** The app's routes, the same behind both front doors. */
async function route(request: Request, session: Session, sessions: Sessions): Promise<Response> {
  const url = new URL(request.url)
  const path = url.pathname.split('/').slice(3).join('/')
  const query = (name: string): string => url.searchParams.get(name) ?? ''
  switch (`${request.method} ${path}`) {
    case 'GET whoami':
      return Response.json({ user: session.userId, data: session.data })
    case 'POST login':
      await session.login(query('user'))
      return Response.json({ user: session.userId })
    case 'POST set':
      session.set(query('key'), query('value'))
      return Response.json({ ok: true })
    case 'POST regenerate':
      await session.regenerate()
      return Response.json({ ok: true })
    case 'POST logout':
      await session.logout()
      return Response.json({ ok: true })
    case 'POST revoke-others':
      await sessions.revokeUserSessions(session.userId as string, { except: session.id as string })
      return Response.json({ ok: true })
    default:
      return new Response('not found', { status: 404 })
  }
}

const fetchDoors = Object.fromEntries(
  Object.entries(MANAGERS).map(([mode, sessions]) => [
    mode,
    withSession(sessions, (request, session) => route(request, session, sessions)),
  ]),
)

const hono = new Hono()
for (const [mode, sessions] of Object.entries(MANAGERS)) {
  const app = new Hono<SessionEnv>()
  app.use(honoSession(sessions))
  app.all('*', (c) => route(c.req.raw, c.get('session'), sessions))
  hono.route(`/hono/${mode}`, app)
}

export default {
  fetch(request: Request): Response | Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/outage') {
      down = url.searchParams.get('down') === '1'
      return new Response('ok')
    }
    const [, door, mode] = url.pathname.split('/')
    if (door === 'hono') return hono.fetch(request)
    const handler = door === 'fetch' ? fetchDoors[mode ?? ''] : undefined
    return handler ? handler(request) : new Response('not found', { status: 404 })
  },
}
