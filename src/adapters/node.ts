// Adapter for node:http: load from IncomingMessage, commit and set headers on ServerResponse before the body is written.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { runWithSession } from '../context/storage.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { Guard } from '../guards/access.ts'
import type { SessionData } from '../core/types.ts'
import { closeAfterError, closeSession, CSRF_REJECTION, csrfFor, decide, DENIED, deviceBoundStep, errorReply, openSession, passesCsrf, rawPath, STORE_DOWN, type AdapterOptions, type CsrfFacts, type DbscReply, type ErrorReply, type SessionHeaders } from './shared.ts'

/** What a `withSession` handler returns; hallpass writes it after committing the session. */
export interface NodeReply {
  /** @default 200 */
  status?: number
  headers?: Record<string, string | readonly string[]>
  body?: string | Uint8Array
}

/** A `withSession` handler. */
export type NodeHandler<D extends SessionData = SessionData> = (req: IncomingMessage, session: Session<D>) => NodeReply | Promise<NodeReply>

/** Options for `withSession`. */
export interface NodeAdapterOptions extends AdapterOptions {
  /** Called with an error the handler threw (the client gets a bare 500). @default console.error */
  onError?: (err: unknown, req: IncomingMessage) => void
}

const INTERNAL_ERROR = JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'Internal Server Error' } })

/**
 * Loads the session for a node:http request (also Express's `req` and Fastify's `request.raw`). Throws only STORE_UNAVAILABLE.
 *
 * @example
 * ```ts
 * import { loadSession, commitSession } from 'hallpass/node'
 * const session = await loadSession(sessions, req)
 * ```
 */
export function loadSession<D extends SessionData>(sessions: Sessions<D>, req: IncomingMessage, options: AdapterOptions = {}): Promise<Session<D>> {
  const forwarded = req.headers['x-forwarded-for']
  return openSession(
    sessions,
    { cookie: req.headers.cookie, socketIp: req.socket.remoteAddress, forwardedFor: Array.isArray(forwarded) ? forwarded.join(',') : forwarded, userAgent: req.headers['user-agent'] },
    options,
  )
}

/**
 * Adds a commit's headers to `res`: Set-Cookie is appended to any the app set, and `no-store` wins over the app's Cache-Control.
 *
 * @example
 * ```ts
 * import { setSessionHeaders } from 'hallpass/node'
 * setSessionHeaders(res, { cookies: ['hp=...'], noStore: true })
 * ```
 */
export function setSessionHeaders(res: ServerResponse, headers: SessionHeaders): void {
  if (headers.cookies.length > 0) res.appendHeader('set-cookie', [...headers.cookies])
  if (headers.noStore) res.setHeader('cache-control', 'no-store')
  for (const [name, value] of Object.entries(headers.headers ?? {})) res.setHeader(name, value)
}

/**
 * Writes a device-bound session (DBSC) reply: an endpoint's answer or a refusal.
 *
 * @example
 * ```ts
 * import { sendDbsc } from 'hallpass/node'
 * if (reply) return sendDbsc(res, reply)
 * ```
 */
export function sendDbsc(res: ServerResponse, reply: DbscReply): void {
  if (res.headersSent) return void res.destroy()
  for (const name of res.getHeaderNames()) res.removeHeader(name)
  if (reply.cookies.length > 0) res.setHeader('set-cookie', [...reply.cookies])
  res.writeHead(reply.status, reply.headers).end(reply.body)
}

/**
 * Commits the session and sets Set-Cookie (and Cache-Control) on `res`. Call it after your own headers, before the body.
 *
 * @example
 * ```ts
 * import { commitSession } from 'hallpass/node'
 * await commitSession(session, res)
 * res.end('ok')
 * ```
 */
export async function commitSession(session: Session<SessionData>, res: ServerResponse): Promise<void> {
  setSessionHeaders(res, await closeSession(session))
}

/** What the CSRF check needs from a node request (also Express's `req` and Fastify's `request.raw`). */
export function requestFacts(req: IncomingMessage): CsrfFacts {
  return {
    method: req.method ?? 'GET',
    path: rawPath(req.url),
    encrypted: (req.socket as { encrypted?: boolean }).encrypted === true,
    host: req.headers.host,
    header: (name) => {
      const value = req.headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    },
  }
}

/**
 * Replaces whatever `res` holds with the 403 for a request that failed the CSRF check.
 *
 * @example
 * ```ts
 * import { sendCsrfRejected } from 'hallpass/node'
 * return sendCsrfRejected(res)
 * ```
 */
export function sendCsrfRejected(res: ServerResponse): void {
  sendJson(res, CSRF_REJECTION.status, CSRF_REJECTION.body, CSRF_REJECTION.headers)
}

/**
 * Replaces whatever `res` holds with the 503 for a store outage (no internals). Does nothing once headers are sent.
 *
 * @example
 * ```ts
 * import { sendStoreDown } from 'hallpass/node'
 * if (isHallpassError(err, 'STORE_UNAVAILABLE')) return sendStoreDown(res)
 * ```
 */
export function sendStoreDown(res: ServerResponse): void {
  sendJson(res, STORE_DOWN.status, STORE_DOWN.body, STORE_DOWN.headers)
}

/**
 * Replaces whatever `res` holds with a hallpass error reply (503 outage, 409 session gone or contended),
 * adding the session cookies given. Does nothing but close the connection once headers are sent.
 *
 * @example
 * ```ts
 * import { sendErrorReply } from 'hallpass/node'
 * sendErrorReply(res, { status: 409, body: '{}', headers: {} })
 * ```
 */
export function sendErrorReply(res: ServerResponse, reply: ErrorReply, cookies: readonly string[] = []): void {
  sendJson(res, reply.status, reply.body, reply.headers, cookies)
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Readonly<Record<string, string>> = { 'content-type': 'application/json; charset=utf-8' }, cookies: readonly string[] = []): void {
  if (res.headersSent) return void res.destroy()
  for (const name of res.getHeaderNames()) res.removeHeader(name)
  res.writeHead(status, cookies.length > 0 ? { ...headers, 'set-cookie': [...cookies], 'cache-control': 'no-store' } : headers).end(body)
}

/**
 * A node:http request listener that gives the handler a session and writes its reply after commit,
 * so the next request always sees this one's changes. CSRF is checked first for every method but
 * GET, HEAD and OPTIONS; the body is left for the handler, so send the token in the `x-csrf-token`
 * header (`csrfToken(session)` from `hallpass/csrf`). A store outage becomes a 503, `SESSION_GONE` and
 * `SESSION_CONFLICT` a 409; any other error a bare 500, reported to `onError`. Every error reply still
 * carries the cookie of an id the request issued or ended. `getSession()` from `hallpass/context` works inside.
 *
 * @example
 * ```ts
 * import { withSession } from 'hallpass/node'
 * http.createServer(withSession(sessions, async (req, session) => ({ body: `hello ${session.userId}` })))
 * ```
 */
export function withSession<D extends SessionData>(
  sessions: Sessions<D>,
  handler: NodeHandler<D>,
  options: NodeAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const csrf = csrfFor(sessions, options)
  return async (req, res) => {
    let session: Session<D> | undefined
    try {
      session = await loadSession(sessions, req, options)
      const current = session
      const facts = requestFacts(req)
      const dbsc = await deviceBoundStep(sessions, current, facts, req.headers.cookie)
      if (dbsc) return sendDbsc(res, dbsc)
      if (!(await passesCsrf(csrf, current, facts, options))) return sendCsrfRejected(res)
      const reply = await runWithSession(current, () => handler(req, current))
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value as string | string[])
      await commitSession(session as Session<SessionData>, res)
      res.statusCode = reply.status ?? 200
      res.end(reply.body)
    } catch (err) {
      // Even an error reply carries the cookie of an id this request issued or ended (login, regenerate, logout).
      const known = errorReply(err)
      if (!known) (options.onError ?? console.error)(err, req)
      const { cookies } = await closeAfterError(session, known === undefined)
      if (known) sendErrorReply(res, known, cookies)
      else sendJson(res, 500, INTERNAL_ERROR, undefined, cookies)
    }
  }
}

/**
 * Wraps a `withSession` handler with a guard from `hallpass/guards`: 401 when anonymous, 403 when
 * privileges fall short. It guards the handler itself, so no path spelling reaches it unguarded.
 *
 * @example
 * ```ts
 * import { guard, withSession } from 'hallpass/node'
 * import { requireRole } from 'hallpass/guards'
 * const admin = guard(requireRole('admin'), async () => ({ body: 'admin' }))
 * ```
 */
export function guard<D extends SessionData>(check: Guard, handler: NodeHandler<D>): NodeHandler<D> {
  return async (req, session) =>
    decide(check, session, (outcome) => {
      if (outcome === 'allow') return handler(req, session)
      const denied = DENIED[outcome]
      return { status: denied.status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(denied.body) }
    })
}
