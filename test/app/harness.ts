// Test harness for the reference app: starts it over real HTTP (SQLite or Redis), and a cookie-keeping HTTP client.
import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { EventListener, Store } from '../../src/index.ts'
import { createApp } from '../../demo/app.ts'
import { loadConfig, type TlsFiles } from '../../demo/config.ts'
import { readTls } from '../../demo/tls.ts'
import type { Role } from '../../demo/db.ts'
import type { AppDeps } from '../../demo/http.ts'
import { createRuntime } from '../../demo/runtime.ts'

export const SECRET = 'app-test-secret-0123456789-abcdefghijklmnop'
/** Cheap Argon2 for tests; the timing test starts its own app with the real cost. */
export const TEST_COST = { memoryCost: 1024, timeCost: 1 }

export interface AppUnderTest {
  /** Where tests send requests (loopback IPv4: no localhost resolution surprises). */
  readonly base: string
  /** APP_ORIGIN: what a browser uses, and the only origin CSRF accepts. */
  readonly origin: string
  readonly port: number
  readonly deps: AppDeps
  /** The node:http server (to watch its connections). */
  readonly server: Server
  /** Moves the sessions' clock forward. */
  advance(ms: number): void
  /** A new user with a random email; its password is `password`. */
  createUser(
    role?: Role,
    password?: string,
  ): Promise<{ id: string; email: string; password: string }>
  close(): Promise<void>
}

export interface StartOptions {
  readonly env?: Record<string, string>
  readonly hashCost?: { memoryCost: number; timeCost: number }
  readonly wrapStore?: (store: Store) => Store
  /** Serve HTTPS with these files (TLS_CERT_FILE and TLS_KEY_FILE); APP_ORIGIN becomes https://localhost:<port>. */
  readonly tls?: TlsFiles
  /** Every audit event the sessions emit. */
  readonly onEvent?: EventListener
  /** Sees every request and its response (method, path, status), e.g. to count DBSC endpoint calls. */
  readonly onExchange?: (request: Request, response: Response) => void
}

let instances = 0

/** Starts the app on 127.0.0.1 with an ephemeral port; APP_ORIGIN is http://localhost:<port> (https with `tls`). */
export async function startApp(options: StartOptions = {}): Promise<AppUnderTest> {
  // eslint-disable-next-line prefer-const -- set once the server listens; `fetch` reads it late
  let handler: ((request: Request, env: never) => Response | Promise<Response>) | undefined
  const fetch = (request: Request, env: unknown) =>
    handler ? handler(request, env as never) : new Response('starting', { status: 503 })
  const listen = { fetch, port: 0, hostname: '127.0.0.1' }
  const https = options.tls && {
    createServer: createHttpsServer,
    serverOptions: readTls(options.tls),
  }
  const server = serve(https ? { ...listen, ...https } : listen)
  await new Promise<void>((resolve) =>
    server.listening ? resolve() : server.once('listening', () => resolve()),
  )
  const port = (server.address() as AddressInfo).port
  const config = loadConfig({
    PORT: String(port),
    DATABASE_PATH: ':memory:',
    SESSION_SECRET: SECRET,
    TRUST_PROXY: 'true',
    ...(options.tls && { TLS_CERT_FILE: options.tls.certFile, TLS_KEY_FILE: options.tls.keyFile }),
    ...options.env,
  })
  let offset = 0
  instances += 1
  const runtime = await createRuntime(config, {
    hashCost: options.hashCost ?? TEST_COST,
    clock: () => Date.now() + offset,
    throttlePrefix: `hp:throttle:t${process.pid}-${instances}-${randomBytes(3).toString('hex')}`,
    ...(options.wrapStore && { wrapStore: options.wrapStore }),
    ...(options.onEvent && { onEvent: options.onEvent }),
  })
  const app = createApp(runtime.deps)
  const exchange = options.onExchange
  handler = exchange
    ? async (request, env) => {
        const response = await app.fetch(request, env)
        exchange(request, response)
        return response
      }
    : (request, env) => app.fetch(request, env)
  return {
    base: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    origin: config.appOrigin,
    port,
    deps: runtime.deps,
    server: server as Server,
    advance: (ms) => {
      offset += ms
    },
    async createUser(role = 'user', password = `pw-${randomBytes(8).toString('hex')}`) {
      const email = `${role}-${randomBytes(5).toString('hex')}@example.com`
      const user = runtime.deps.users.create({
        email,
        name: `Test ${role}`,
        role,
        passwordHash: await runtime.deps.passwords.hash(password),
      })
      return { id: user.id, email, password }
    },
    async close() {
      const closable = server as { closeAllConnections?: () => void }
      closable.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await runtime.close()
    },
  }
}

export interface Sent {
  readonly json?: unknown
  readonly form?: Record<string, string>
  /** A raw body (with its content type in `headers`). */
  readonly body?: string
  readonly headers?: Record<string, string>
  /** Send the x-csrf-token header (fetched on first use). @default true for non-GET */
  readonly csrf?: boolean
}

let nextIp = 1

/** A client with its own cookie jar, IP (X-Forwarded-For) and CSRF token: one browser, as far as the app can tell. */
export class Agent {
  readonly cookies = new Map<string, string>()
  readonly ip: string
  token: string | undefined

  constructor(
    readonly app: AppUnderTest,
    readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  ) {
    this.ip = `10.${(nextIp >> 16) & 255}.${(nextIp >> 8) & 255}.${nextIp & 255}`
    nextIp += 1
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  /** The session cookie's value, if any. */
  get sessionCookie(): string | undefined {
    return this.cookies.get('hp')
  }

  async csrf(): Promise<string> {
    const res = await this.send('GET', '/api/csrf')
    if (res.status !== 200) throw new Error(`GET /api/csrf answered ${res.status}`)
    this.token = ((await res.json()) as { csrfToken: string }).csrfToken
    return this.token
  }

  async send(method: string, path: string, sent: Sent = {}): Promise<Response> {
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      'x-forwarded-for': this.ip,
      ...sent.headers,
    }
    if ((sent.csrf ?? method !== 'GET') && headers['x-csrf-token'] === undefined)
      headers['x-csrf-token'] = this.token ?? (await this.csrf())
    const jar = this.cookieHeader()
    if (jar) headers['cookie'] = jar
    let body: string | undefined = sent.body
    if (sent.json !== undefined) {
      body = JSON.stringify(sent.json)
      headers['content-type'] ??= 'application/json'
    }
    if (sent.form !== undefined) {
      body = new URLSearchParams(sent.form).toString()
      headers['content-type'] ??= 'application/x-www-form-urlencoded'
    }
    const res = await fetch(`${this.app.base}${path}`, {
      method,
      headers,
      body: body ?? null,
      redirect: 'manual',
    })
    this.absorb(res)
    return res
  }

  /** Applies Set-Cookie headers to the jar (Max-Age=0 removes). */
  absorb(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (/;\s*max-age=0/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  /** Signs in through the JSON API and refreshes the CSRF token (it is bound to the new session id). */
  async login(email: string, password: string, rememberMe = false): Promise<Response> {
    const res = await this.send('POST', '/api/auth/login', {
      json: { email, password, rememberMe },
    })
    if (res.ok) await this.csrf()
    return res
  }

  async status(): Promise<{
    authenticated: boolean
    user?: { id: string; role: string; name: string }
    session?: { id: string; idleExpiresAt: string; expiresAt: string }
  }> {
    return (await this.send('GET', '/api/auth/session')).json() as never
  }
}

/** The JSON error body every failure carries. */
export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } }
  return body.error
}
