// Scenarios on Express 5: bare, express-session with connect-redis, and hallpass/express on Redis.
import { createServer } from 'node:http'
import { RedisStore } from 'connect-redis'
import express, { type Express } from 'express'
import expressSession from 'express-session'
import { createSessions, type Session } from 'hallpass'
import { session as hallpassSession } from 'hallpass/express'
import { redisStore } from 'hallpass/stores/redis'
import {
  BARE_COOKIE,
  NO_CSRF,
  closeServer,
  connectRedis,
  listen,
  SECRET,
  userFrom,
  type ScenarioServer,
} from './common.ts'

async function start(
  app: Express,
  close: () => Promise<void> = async () => undefined,
): Promise<ScenarioServer> {
  const server = createServer(app)
  return {
    port: await listen(server),
    close: async () => {
      await closeServer(server)
      await close()
    },
  }
}

/** Express 5 with no session: Express's own defaults (ETag, X-Powered-By) stay on in every Express scenario. */
export async function bareExpress(): Promise<ScenarioServer> {
  let counter = 0
  const app = express()
  app.get('/read', (_req, res) => void res.send('user-1'))
  app.post('/write', (_req, res) => void res.send(String(++counter)))
  app.post('/login', (_req, res) => void res.setHeader('set-cookie', BARE_COOKIE).send('ok'))
  return start(app)
}

interface PeerData {
  userId?: string
  counter?: number
}

/**
 * express-session 1.19 with connect-redis 9 on node-redis v5: `resave: false`, `saveUninitialized: false`,
 * `cookie.secure: false` (plain HTTP). Everything else is the default: connect-redis `ttl` 86400 s and touch on,
 * so every read that does not save sends one EXPIRE after its GET (express-session's sliding expiry).
 */
export async function expressSessionRedis(redisUrl: string): Promise<ScenarioServer> {
  const client = await connectRedis(redisUrl)
  const app = express()
  app.use(
    expressSession({
      store: new RedisStore({ client }),
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { secure: false },
    }),
  )
  const data = (req: express.Request): PeerData => req.session as unknown as PeerData
  app.post('/login', (req, res) => {
    const session = data(req)
    session.userId = userFrom(req.url)
    session.counter = 0
    res.send('ok')
  })
  app.get('/read', (req, res) => {
    const user = data(req).userId
    if (user === undefined) return void res.status(401).end()
    res.send(user)
  })
  app.post('/write', (req, res) => {
    const session = data(req)
    if (session.userId === undefined) return void res.status(401).end()
    session.counter = (session.counter ?? 0) + 1
    res.send(String(session.counter))
  })
  return start(app, () => client.close())
}

/** hallpass/express on Redis (node-redis v5): `cookie.secure: false` (plain HTTP), every other option the default. */
export async function hallpassExpressRedis(redisUrl: string): Promise<ScenarioServer> {
  const client = await connectRedis(redisUrl)
  const sessions = createSessions({
    secret: SECRET,
    cookie: { secure: false },
    store: redisStore({ client }),
  })
  const app = express()
  app.use(hallpassSession(sessions, NO_CSRF))
  const handle = (req: express.Request): Session => req.session as unknown as Session
  app.post('/login', async (req, res) => {
    const session = handle(req)
    await session.login(userFrom(req.url))
    session.set('counter', 0)
    res.send('ok')
  })
  app.get('/read', (req, res) => {
    const user = handle(req).userId
    if (user === null) return void res.status(401).end()
    res.send(user)
  })
  app.post('/write', (req, res) => {
    const session = handle(req)
    if (session.userId === null) return void res.status(401).end()
    const counter = ((session.get('counter') as number | undefined) ?? 0) + 1
    session.set('counter', counter)
    res.send(String(counter))
  })
  return start(app, () => client.close())
}
