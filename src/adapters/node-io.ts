// What the node:http-based adapters (node, Express, Fastify, the Express gate) share: reading an IncomingMessage, writing a ServerResponse.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { CSRF_REJECTION, STORE_DOWN, type ErrorReply } from './replies.ts'
import {
  loadFromFacts,
  rawPath,
  type AdapterOptions,
  type CsrfFacts,
  type DbscReply,
  type SessionHeaders,
} from './steps.ts'

/**
 * Loads the session for a node:http request (also Express's `req` and Fastify's `request.raw`). Throws only STORE_UNAVAILABLE.
 *
 * @example
 * ```ts
 * import { loadSession, commitSession } from 'hallpass/node'
 * const session = await loadSession(sessions, req)
 * ```
 */
export function loadSession<D extends SessionData>(
  sessions: Sessions<D>,
  req: IncomingMessage,
  options: AdapterOptions = {},
): Promise<Session<D>> {
  const forwarded = req.headers['x-forwarded-for']
  return loadFromFacts(
    sessions,
    {
      cookie: req.headers.cookie,
      socketIp: req.socket.remoteAddress,
      forwardedFor: Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      userAgent: req.headers['user-agent'],
    },
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
  if (headers.headers)
    for (const [name, value] of Object.entries(headers.headers)) res.setHeader(name, value)
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

/** What the DBSC step and the CSRF check read from a node request (also Express's `req` and Fastify's `request.raw`). */
export function requestFacts(req: IncomingMessage): CsrfFacts {
  return {
    method: req.method ?? 'GET',
    path: rawPath(req.url),
    target: (req as { originalUrl?: string }).originalUrl ?? req.url,
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
