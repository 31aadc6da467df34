// Scenarios on bare node:http: no session, one raw Redis GET (the limit), hallpass/node on Redis (three clients), memory and sealed, and iron-session.
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createSessions, type Session, type Store } from 'hallpass'
import { withSession, type NodeReply } from 'hallpass/node'
import { sealedCookies, type SealedCookies } from 'hallpass/sealed'
import { redisStore } from 'hallpass/stores/redis'
import { getIronSession } from 'iron-session'
import {
  BARE_COOKIE,
  NO_CSRF,
  closeServer,
  connectClient,
  listen,
  pathOf,
  SECRET,
  userFrom,
  type RedisClientName,
  type ScenarioFactory,
  type ScenarioServer,
} from './common.ts'

function send(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status
  res.end(body)
}

/** node:http with no session at all: the ceiling for everything else on node:http. */
export const bareNode: ScenarioFactory = async () => {
  let counter = 0
  const server = createServer((req, res) => {
    const path = pathOf(req)
    if (path === '/read') return send(res, 200, 'user-1')
    if (path === '/write') return send(res, 200, String(++counter))
    if (path === '/login') {
      res.setHeader('set-cookie', BARE_COOKIE)
      return send(res, 200, 'ok')
    }
    send(res, 404, '')
  })
  return { port: await listen(server), close: () => closeServer(server) }
}

const RAW_COOKIE = 'raw='

function rawId(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie ?? ''
  const at = header.indexOf(RAW_COOKIE)
  return at === -1 ? undefined : header.slice(at + RAW_COOKIE.length).split(';')[0]
}

/** The physical limit of a store-backed session: one unsigned random id in the cookie and exactly one Redis command per request (GET to read, INCR to write). */
export const rawRedis: ScenarioFactory = (redisUrl) => rawRedisOn('node-redis 5', redisUrl)

/** The raw-GET limit on any of the compared clients. */
export async function rawRedisOn(name: RedisClientName, redisUrl: string): Promise<ScenarioServer> {
  const client = await connectClient(name, redisUrl)
  const server = createServer((req, res) => {
    const path = pathOf(req)
    const id = rawId(req)
    const fail = (): void => send(res, 500, '')
    if (path === '/login') {
      const sid = randomBytes(32).toString('base64url')
      res.setHeader('set-cookie', `${RAW_COOKIE}${sid}; Path=/; HttpOnly; SameSite=Lax`)
      return void client.set(`raw:${sid}`, userFrom(req.url)).then(() => send(res, 200, 'ok'), fail)
    }
    if (path === '/read') {
      if (!id) return send(res, 401, '')
      return void client
        .get(`raw:${id}`)
        .then((user) => (user === null ? send(res, 401, '') : send(res, 200, user)), fail)
    }
    if (path === '/write') {
      if (!id) return send(res, 401, '')
      return void client.incr(`raw:${id}:counter`).then((n) => send(res, 200, String(n)), fail)
    }
    send(res, 404, '')
  })
  return {
    port: await listen(server),
    close: async () => {
      await closeServer(server)
      await client.close()
    },
  }
}

/** The same three routes for every hallpass scenario on node:http. */
async function hallpassRoute(req: IncomingMessage, session: Session): Promise<NodeReply> {
  const path = pathOf(req)
  if (path === '/login') {
    await session.login(userFrom(req.url))
    session.set('counter', 0)
    return { body: 'ok' }
  }
  if (path !== '/read' && path !== '/write') return { status: 404 }
  if (session.userId === null) return { status: 401 }
  if (path === '/read') return { body: session.userId }
  const counter = ((session.get('counter') as number | undefined) ?? 0) + 1
  session.set('counter', counter)
  return { body: String(counter) }
}

/** hallpass/node on the given store (or sealed mode, or the memory store), serving the routes above. */
export async function hallpassServer(
  store: Store | SealedCookies | undefined,
  close: () => Promise<void> = async () => undefined,
) {
  // cookie.secure: false because the bench speaks plain HTTP (the cookie is then named `hp`, not `__Host-hp`); every other option is the default.
  const sessions = createSessions({
    secret: SECRET,
    cookie: { secure: false },
    ...(store !== undefined && { store }),
  })
  const server = createServer(withSession(sessions, hallpassRoute, NO_CSRF))
  return {
    port: await listen(server),
    close: async () => {
      await closeServer(server)
      await close()
    },
  }
}

/** hallpass/node on Redis (node-redis v5 client). */
export const hallpassNodeRedis: ScenarioFactory = (redisUrl) =>
  hallpassNodeOn('node-redis 5', redisUrl)

/** hallpass/node on Redis through any of the compared clients. */
export async function hallpassNodeOn(
  name: RedisClientName,
  redisUrl: string,
): Promise<ScenarioServer> {
  const connected = await connectClient(name, redisUrl)
  return hallpassServer(
    redisStore({ client: connected.client }),
    async () => void (await connected.close()),
  )
}

/** hallpass/node on the default in-process memory store. */
export const hallpassNodeMemory: ScenarioFactory = () => hallpassServer(undefined)

/** hallpass sealed mode: the session is sealed in the cookie, no store and no revocation store (like iron-session). */
export const hallpassSealed: ScenarioFactory = () => hallpassServer(sealedCookies())

interface IronData {
  userId?: string
  counter?: number
}

/** iron-session v8 on node:http: a 40-character password, `secure: false` over plain HTTP, every other option its default (ttl 14 days). */
export const ironSession: ScenarioFactory = async () => {
  const options = { password: SECRET, cookieName: 'iron', cookieOptions: { secure: false } }
  const server = createServer((req, res) => {
    const path = pathOf(req)
    const run = async (): Promise<void> => {
      const session = await getIronSession<IronData>(req, res, options)
      if (path === '/login') {
        session.userId = userFrom(req.url)
        session.counter = 0
        await session.save()
        return send(res, 200, 'ok')
      }
      if (path !== '/read' && path !== '/write') return send(res, 404, '')
      if (session.userId === undefined) return send(res, 401, '')
      if (path === '/read') return send(res, 200, session.userId)
      session.counter = (session.counter ?? 0) + 1
      await session.save()
      send(res, 200, String(session.counter))
    }
    run().catch((err: unknown) => {
      console.error(err)
      send(res, 500, '')
    })
  })
  return { port: await listen(server), close: () => closeServer(server) }
}
