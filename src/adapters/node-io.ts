// The node:http translation the node, Express and Fastify adapters share: IncomingMessage in, ServerResponse out.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import {
  rawPath,
  type AdapterOptions,
  type ClientFacts,
  type RequestFacts,
} from '../pipeline/facts.ts'
import { Pipeline, type SessionHeaders } from '../pipeline/pipeline.ts'
import { CSRF_REJECTED, STORE_DOWN, type ErrorReply } from '../pipeline/replies.ts'
import type { Reply } from '../pipeline/scope.ts'

/** What the load step reads from a node request (also Express's `req` and Fastify's `request.raw`). */
export function clientFacts(req: IncomingMessage): ClientFacts {
  const forwarded = req.headers['x-forwarded-for']
  return {
    cookie: req.headers.cookie,
    socketIp: req.socket.remoteAddress,
    forwardedFor: Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
    userAgent: req.headers['user-agent'],
  }
}

/**
 * Loads the session for a node:http request (also Express's `req` and Fastify's `request.raw`). Throws only STORE_UNAVAILABLE.
 *
 * @example
 * ```ts
 * import { loadSession, commitSession } from 'hallpass/node'
 * const session = await loadSession(sessions, req)
 * ```
 */
export async function loadSession<D extends SessionData>(
  sessions: Sessions<D>,
  req: IncomingMessage,
  options: AdapterOptions = {},
): Promise<Session<D>> {
  const pipeline = new Pipeline(sessions, { ...options, csrf: false })
  return (await pipeline.load(clientFacts(req))).session
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
  if (headers.headers)
    for (const [name, value] of Object.entries(headers.headers)) res.setHeader(name, value)
}

/**
 * Replaces whatever `res` holds with a reply the pipeline sends in place of the app's (a DBSC endpoint's answer
 * or refusal, a CSRF rejection, an error reply and its cookies). Once headers are sent it closes the connection.
 *
 * @example
 * ```ts
 * import { sendDbsc } from 'hallpass/node'
 * if (reply) return sendDbsc(res, reply)
 * ```
 */
export function sendReply(res: ServerResponse, reply: Reply): void {
  sendJson(res, reply.status, reply.body, reply.headers, reply.cookies)
}

/** `sendReply`, under the name `hallpass/node` gives it for DBSC replies. */
export const sendDbsc: (res: ServerResponse, reply: Reply) => void = sendReply

/** What the DBSC step and the CSRF check read from a node request (also Express's `req` and Fastify's `request.raw`). */
export function requestFacts(req: IncomingMessage): RequestFacts {
  const originalUrl: unknown = Reflect.get(req, 'originalUrl') // Express's, before a mounted app cut it
  return {
    method: req.method ?? 'GET',
    path: rawPath(req.url),
    target: typeof originalUrl === 'string' ? originalUrl : req.url,
    encrypted: 'encrypted' in req.socket && req.socket.encrypted === true,
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
  sendReply(res, CSRF_REJECTED)
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
export function sendErrorReply(
  res: ServerResponse,
  reply: ErrorReply,
  cookies: readonly string[] = [],
): void {
  sendJson(res, reply.status, reply.body, reply.headers, cookies)
}

/** Replaces whatever `res` holds with a JSON reply (and the session cookies given); closes the connection once headers are sent. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>> = { 'content-type': 'application/json; charset=utf-8' },
  cookies: readonly string[] = [],
): void {
  if (res.headersSent) return void res.destroy()
  for (const name of res.getHeaderNames()) res.removeHeader(name)
  res
    .writeHead(
      status,
      cookies.length > 0
        ? { ...headers, 'set-cookie': [...cookies], 'cache-control': 'no-store' }
        : headers,
    )
    .end(body)
}
