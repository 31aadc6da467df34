// Scenarios on Fastify 5: bare, @fastify/session with connect-redis, and hallpass/fastify on Redis.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { RedisStore } from 'connect-redis'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { createSessions, type Session } from 'hallpass'
import { session as hallpassSession } from 'hallpass/fastify'
import { redisStore } from 'hallpass/stores/redis'
import {
  BARE_COOKIE,
  NO_CSRF,
  connectRedis,
  SECRET,
  userFrom,
  type ScenarioServer,
} from './common.ts'

async function start(
  app: FastifyInstance,
  close: () => Promise<void> = async () => undefined,
): Promise<ScenarioServer> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      await app.close()
      await close()
    },
  }
}

/** Fastify 5 with no session, default options (no logger). */
export async function bareFastify(): Promise<ScenarioServer> {
  let counter = 0
  const app = Fastify()
  app.get('/read', async () => 'user-1')
  app.post('/write', async () => String(++counter))
  app.post('/login', async (_request, reply) => reply.header('set-cookie', BARE_COOKIE).send('ok'))
  return start(app)
}

interface PeerSession {
  get(key: string): unknown
  set(key: string, value: unknown): void
}

/**
 * @fastify/session 11 (+ @fastify/cookie 11) with connect-redis 9 on node-redis v5: `rolling: false`,
 * `saveUninitialized: false`, `cookie.secure: false` (plain HTTP), a 40-character secret; everything else the default.
 */
export async function fastifySessionRedis(redisUrl: string): Promise<ScenarioServer> {
  const client = await connectRedis(redisUrl)
  const app = Fastify()
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: SECRET,
    store: new RedisStore({ client }) as never,
    rolling: false,
    saveUninitialized: false,
    cookie: { secure: false },
  })
  const data = (request: FastifyRequest): PeerSession => request.session as unknown as PeerSession
  app.post('/login', async (request) => {
    data(request).set('userId', userFrom(request.url))
    data(request).set('counter', 0)
    return 'ok'
  })
  app.get('/read', async (request, reply) => {
    const user = data(request).get('userId') as string | undefined
    return user === undefined ? reply.code(401).send() : user
  })
  app.post('/write', async (request, reply) => {
    const session = data(request)
    if (session.get('userId') === undefined) return reply.code(401).send()
    const counter = ((session.get('counter') as number | undefined) ?? 0) + 1
    session.set('counter', counter)
    return String(counter)
  })
  return start(app, () => client.close())
}

/** hallpass/fastify on Redis (node-redis v5): `cookie.secure: false` (plain HTTP), every other option the default. */
export async function hallpassFastifyRedis(redisUrl: string): Promise<ScenarioServer> {
  const client = await connectRedis(redisUrl)
  const sessions = createSessions({
    secret: SECRET,
    cookie: { secure: false },
    store: redisStore({ client }),
  })
  const app = Fastify()
  await app.register(hallpassSession(sessions, NO_CSRF))
  const handle = (request: FastifyRequest): Session => request.session as unknown as Session
  app.post('/login', async (request) => {
    const session = handle(request)
    await session.login(userFrom(request.url))
    session.set('counter', 0)
    return 'ok'
  })
  app.get('/read', async (request, reply) => {
    const user = handle(request).userId
    return user === null ? reply.code(401).send() : user
  })
  app.post('/write', async (request, reply) => {
    const session = handle(request)
    if (session.userId === null) return reply.code(401).send()
    const counter = ((session.get('counter') as number | undefined) ?? 0) + 1
    session.set('counter', counter)
    return String(counter)
  })
  return start(app, () => client.close())
}
