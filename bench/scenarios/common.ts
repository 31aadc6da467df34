// What every bench scenario shares: the secret, the routes' contract, and the shape a scenario server takes.
import type { IncomingMessage, Server } from 'node:http'
import { Redis } from 'ioredis'
import type { RedisClientLike } from 'hallpass/stores/redis'
import { createClient } from 'redis'
import { createClient as createClient6 } from 'redis6'

/** One secret for every library that needs one (hallpass, express-session, @fastify/session, iron-session): 40 characters. */
export const SECRET = 'bench-secret-0123456789-abcdefghijklmnop'

/** What /login sets in the bare scenarios, so their requests carry a Cookie header too (the server ignores it). */
export const BARE_COOKIE = 'bare=1; Path=/; HttpOnly'

/**
 * Adapter options for every hallpass scenario: the CSRF check (on by default in hallpass adapters) is turned off
 * because none of the peers checks CSRF, so every scenario does the same work. See docs/performance.md.
 */
export const NO_CSRF = { csrf: false } as const

/** A running scenario server: the port it listens on and how to stop it (and close its Redis client). */
export interface ScenarioServer {
  readonly port: number
  close(): Promise<void>
}

/** Builds and starts one scenario's server on 127.0.0.1 and a free port. */
export type ScenarioFactory = (redisUrl: string) => Promise<ScenarioServer>

/**
 * Routes every scenario serves, with the same meaning everywhere:
 * - `POST /login?user=<id>` signs in `<id>` with `counter: 0` (the bench calls it during setup, never under load);
 * - `GET /read` answers the session's user id, or 401 when there is no session;
 * - `POST /write` increments the session's counter and answers it, or 401 when there is no session.
 * Bare scenarios have no session: /read answers a constant and /write increments a process-wide counter.
 */
export const ROUTES = { login: '/login', read: '/read', write: '/write' } as const

/** The `user` query parameter of a login URL (defaults to `user-1`). */
export function userFrom(url: string | undefined): string {
  return new URL(url ?? '/', 'http://x').searchParams.get('user') ?? 'user-1'
}

/** The path of a request URL without its query. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** Listens on an ephemeral loopback port and resolves the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : 0)
    })
  })
}

/** Closes a node:http server, dropping idle keep-alive connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** A connected node-redis v5 client: every Redis-backed scenario (hallpass, connect-redis, raw) uses this client library, except the client comparison below. */
export async function connectRedis(url: string): Promise<ReturnType<typeof createClient>> {
  const client = createClient({ url })
  client.on('error', (err: unknown) => console.error('redis client error', err))
  await client.connect()
  return client
}

/** The Redis clients the client comparison runs on, each with its defaults (what `npm install` gives a user). */
export type RedisClientName = 'node-redis 5' | 'node-redis 6' | 'ioredis'

/** What the raw-GET limit and hallpass's store need from a client, and how to close it. */
export interface BenchRedisClient {
  readonly client: RedisClientLike
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<unknown>
  incr(key: string): Promise<number>
  close(): Promise<unknown>
}

/** A connected client of the named library, with that library's defaults. */
export async function connectClient(name: RedisClientName, url: string): Promise<BenchRedisClient> {
  if (name === 'ioredis') {
    const { port, hostname } = new URL(url)
    const io = new Redis(Number(port), hostname)
    io.on('error', (err: unknown) => console.error('redis client error', err))
    await io.ping()
    return {
      client: io,
      get: (k) => io.get(k),
      set: (k, v) => io.set(k, v),
      incr: (k) => io.incr(k),
      close: () => io.quit(),
    }
  }
  const client = name === 'node-redis 5' ? createClient({ url }) : createClient6({ url })
  client.on('error', (err: unknown) => console.error('redis client error', err))
  await client.connect()
  return {
    client: client as unknown as RedisClientLike,
    get: (k) => client.get(k),
    set: (k, v) => client.set(k, v),
    incr: (k) => client.incr(k),
    close: () => client.close(),
  }
}
