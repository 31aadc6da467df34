// Adapter for any fetch runtime (Request -> Response): load, run the handler, commit, copy cookies onto the response.
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../stores/types.ts'
import { clientIp, isStoreDown, sessionHeaders, STORE_DOWN, type AdapterOptions } from './shared.ts'

export interface FetchAdapterOptions extends AdapterOptions {
  /** The socket address of the client, if your runtime exposes it (e.g. Deno's `info.remoteAddr`). */
  getIp?: (request: Request) => string | undefined
}

/** Loads the session for a fetch `Request`. Throws only STORE_UNAVAILABLE. */
export function loadSession<D extends SessionData>(sessions: Sessions<D>, request: Request, options: FetchAdapterOptions = {}): Promise<Session<D>> {
  const ip = clientIp(options.getIp?.(request), request.headers.get('x-forwarded-for'), options.trustProxy ?? false)
  return sessions.load({ cookie: request.headers.get('cookie'), ip, userAgent: request.headers.get('user-agent') ?? undefined })
}

/** Commits the session and returns the response with its Set-Cookie and Cache-Control headers. */
export async function applySession(session: Session<SessionData>, response: Response): Promise<Response> {
  const { cookies, noStore } = sessionHeaders(session, (await session.commit()).cookies)
  if (cookies.length === 0 && !noStore) return response
  const headers = new Headers(response.headers)
  for (const cookie of cookies) headers.append('set-cookie', cookie)
  if (noStore) headers.set('cache-control', 'no-store')
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

/**
 * Wraps a fetch handler with a session. A store outage becomes a 503 with no internals.
 *
 * @example
 * ```ts
 * import { withSession } from 'hallpass/fetch'
 * export default { fetch: withSession(sessions, async (request, session) => Response.json({ user: session.userId })) }
 * ```
 */
export function withSession<D extends SessionData>(
  sessions: Sessions<D>,
  handler: (request: Request, session: Session<D>) => Response | Promise<Response>,
  options: FetchAdapterOptions = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      const session = await loadSession(sessions, request, options)
      return await applySession(session as Session<SessionData>, await handler(request, session))
    } catch (err) {
      if (isStoreDown(err)) return new Response(STORE_DOWN.body, { status: STORE_DOWN.status, headers: STORE_DOWN.headers })
      throw err
    }
  }
}
