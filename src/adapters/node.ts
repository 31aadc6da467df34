// Adapter for node:http: load from IncomingMessage, commit and set headers on ServerResponse before the body is written.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../stores/types.ts'
import { clientIp, isStoreDown, sessionHeaders, STORE_DOWN, type AdapterOptions } from './shared.ts'

/** What a `withSession` handler returns; hallpass writes it after committing the session. */
export interface NodeReply {
  status?: number
  headers?: Record<string, string | readonly string[]>
  body?: string | Uint8Array
}

/** Loads the session for a node:http request. Throws only STORE_UNAVAILABLE. */
export function loadSession<D extends SessionData>(sessions: Sessions<D>, req: IncomingMessage, options: AdapterOptions = {}): Promise<Session<D>> {
  const forwarded = req.headers['x-forwarded-for']
  const ip = clientIp(req.socket.remoteAddress, Array.isArray(forwarded) ? forwarded.join(',') : forwarded, options.trustProxy ?? false)
  return sessions.load({ cookie: req.headers.cookie, ip, userAgent: req.headers['user-agent'] })
}

/** Commits the session and sets Set-Cookie (and Cache-Control) on `res`. Call it before writing the body. */
export async function commitSession(session: Session<SessionData>, res: ServerResponse): Promise<void> {
  const { cookies, noStore } = sessionHeaders(session, (await session.commit()).cookies)
  if (cookies.length > 0) res.appendHeader('set-cookie', [...cookies])
  if (noStore) res.setHeader('cache-control', 'no-store')
}

/**
 * A node:http request listener that gives the handler a session and writes its reply after commit,
 * so the next request always sees this one's changes. A store outage becomes a 503.
 *
 * @example
 * ```ts
 * import { withSession } from 'hallpass/node'
 * http.createServer(withSession(sessions, async (req, session) => ({ body: `hello ${session.userId}` })))
 * ```
 */
export function withSession<D extends SessionData>(
  sessions: Sessions<D>,
  handler: (req: IncomingMessage, session: Session<D>) => NodeReply | Promise<NodeReply>,
  options: AdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      const session = await loadSession(sessions, req, options)
      const reply = await handler(req, session)
      await commitSession(session as Session<SessionData>, res)
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value as string | string[])
      res.statusCode = reply.status ?? 200
      res.end(reply.body)
    } catch (err) {
      if (!isStoreDown(err) || res.headersSent) throw err
      res.writeHead(STORE_DOWN.status, STORE_DOWN.headers).end(STORE_DOWN.body)
    }
  }
}
