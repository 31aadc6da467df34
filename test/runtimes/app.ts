// The scenario app a real runtime (Bun, Deno) serves: hallpass imported as a user does, behind the fetch and Hono front doors, on three stores.
import { Hono, type Context } from 'hono'
import { createClient } from 'redis'
import { createSessions, type Session } from 'hallpass'
import { withSession } from 'hallpass/fetch'
import { session as honoSession, type SessionEnv } from 'hallpass/hono'
import { sealedCookies } from 'hallpass/sealed'
import { memoryStore } from 'hallpass/stores/memory'
import { redisStore } from 'hallpass/stores/redis'

/** A fetch handler as Bun.serve and Deno.serve call it: the request, and the runtime's own second argument. */
export type Handler = (request: Request, env?: unknown) => Promise<Response>

/** How the runtime's entry file tells the app the client address (`clientIp` / `honoClientIp` of `hallpass/<runtime>`). */
export interface RuntimeAddress {
  clientIp(request: Request, env: unknown): string | undefined
  honoClientIp(c: Context): string | undefined
}

export const DOORS = ['fetch', 'hono'] as const
export const STORES = ['memory', 'redis', 'sealed'] as const
export type AppName = `${(typeof DOORS)[number]}-${(typeof STORES)[number]}`

const SECRET = 'vQ3r8kLm2Xp9Tz4Bn7Wc1Yd6Hf5Js0Ga8Ue3Ri2Ko9P'

interface Reply {
  status?: number
  json: unknown
}
type Route = (session: Session, query: URLSearchParams) => Promise<Reply> | Reply

interface Signal {
  readonly promise: Promise<void>
  resolve(): void
}
function signal(): Signal {
  let resolve = (): void => undefined
  const promise = new Promise<void>((done) => (resolve = done))
  return { promise, resolve }
}

/** Gates a request waits at until the test opens them (the rotation race), shared by every app in the process. */
const gates = new Map<string, { reached: Signal; opened: Signal }>()
function gate(name: string) {
  let found = gates.get(name)
  if (!found) {
    found = { reached: signal(), opened: signal() }
    gates.set(name, found)
  }
  return found
}

const view = (session: Session) => ({
  userId: session.userId,
  id: session.id,
  ip: session.ip ?? null,
  data: session.data,
})

const ROUTES: Record<string, Route> = {
  'GET /whoami': (session) => ({ json: view(session) }),
  'POST /login': async (session, query) => {
    await session.login(query.get('user') ?? 'alice')
    return { json: view(session) }
  },
  'POST /set': (session, query) => {
    session.set(query.get('key') ?? 'k', query.get('value') ?? '')
    return { json: view(session) }
  },
  'POST /incr': async (session, query) => {
    const key = query.get('key') ?? 'n'
    return {
      json: await session.update((draft) => void (draft[key] = Number(draft[key] ?? 0) + 1)),
    }
  },
  'POST /rotate': async (session) => (await session.regenerate(), { json: view(session) }),
  'POST /logout': async (session) => (await session.logout(), { json: view(session) }),
  'GET /slow': async (session, query) => {
    const g = gate(query.get('gate') ?? '')
    g.reached.resolve()
    await g.opened.promise
    const key = query.get('set')
    if (key) session.set(key, 'late')
    return { json: view(session) }
  },
}

/** `/_gate/reached?name=` answers once a request waits at the gate; `/_gate/open?name=` lets it go on. */
async function control(url: URL): Promise<Response> {
  const g = gate(url.searchParams.get('name') ?? '')
  if (url.pathname === '/_gate/open') g.opened.resolve()
  else await g.reached.promise
  return Response.json({ ok: true })
}

function fetchApp(sessions: ReturnType<typeof createSessions>, address: RuntimeAddress): Handler {
  return withSession(
    sessions,
    async (request, session) => {
      const url = new URL(request.url)
      const route = ROUTES[`${request.method} ${url.pathname}`]
      if (!route) return Response.json({ error: 'not found' }, { status: 404 })
      const out = await route(session, url.searchParams)
      return Response.json(out.json, { status: out.status ?? 200 })
    },
    { getIp: address.clientIp },
  )
}

function honoApp(sessions: ReturnType<typeof createSessions>, address: RuntimeAddress): Handler {
  const app = new Hono<SessionEnv>().use(honoSession(sessions, { getIp: address.honoClientIp }))
  for (const [key, route] of Object.entries(ROUTES)) {
    const [method, path] = key.split(' ') as [string, string]
    app.on(method, path, async (c) => {
      const out = await route(c.get('session'), new URL(c.req.url).searchParams)
      return c.json(out.json as object, (out.status ?? 200) as 200)
    })
  }
  return async (request, env) => app.fetch(request, env)
}

/** Every app, keyed `<door>-<store>`, with the gate control in front; the Redis apps share one client on `redisUrl`. */
export async function buildApps(
  redisUrl: string,
  address: RuntimeAddress,
): Promise<Record<AppName, Handler>> {
  const client = await createClient({ url: redisUrl }).connect()
  const apps = {} as Record<AppName, Handler>
  for (const door of DOORS) {
    for (const kind of STORES) {
      const store =
        kind === 'memory'
          ? memoryStore()
          : kind === 'redis'
            ? redisStore({ client, prefix: `hp:${door}:` })
            : sealedCookies({ revocation: memoryStore() })
      const sessions = createSessions({ secret: SECRET, store, cookie: { secure: false } })
      const app = (door === 'fetch' ? fetchApp : honoApp)(sessions, address)
      apps[`${door}-${kind}`] = async (request, env) => {
        const url = new URL(request.url)
        return url.pathname.startsWith('/_gate/') ? control(url) : app(request, env)
      }
    }
  }
  return apps
}
