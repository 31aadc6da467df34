// Adapter for node:http: the pipeline around a handler that returns its reply; headers set before the body is written.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import type { Guard } from '../guards/access.ts'
import { checkDoorOptions, type AdapterOptions } from '../pipeline/facts.ts'
import { commitHeaders, commitHeadersNow, Pipeline } from '../pipeline/pipeline.ts'
import { DENIED, runGuard } from '../pipeline/replies.ts'
import { scopeFor, type RequestScope } from '../pipeline/scope.ts'
import { clientFacts, requestFacts, sendReply, setSessionHeaders } from './node-io.ts'
import { reportError } from '../pipeline/report.ts'

export {
  loadSession,
  requestFacts,
  sendCsrfRejected,
  sendDbsc,
  sendErrorReply,
  sendStoreDown,
  setSessionHeaders,
} from './node-io.ts'

/** What a `withSession` handler returns; hallpass writes it after committing the session. */
export interface NodeReply {
  /** @default 200 */
  status?: number
  headers?: Record<string, string | readonly string[]>
  body?: string | Uint8Array
}

/** A `withSession` handler. */
export type NodeHandler<D extends SessionData = SessionData> = (
  req: IncomingMessage,
  session: Session<D>,
) => NodeReply | Promise<NodeReply>

/** Options for `withSession`. */
export interface NodeAdapterOptions extends AdapterOptions {
  /** Called with an error the handler threw (the client gets a bare 500). @default logs the error, the method and the path with console.error, never the headers */
  onError?: (err: unknown, req: IncomingMessage) => void
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
export async function commitSession(
  session: Session<SessionData>,
  res: ServerResponse,
): Promise<void> {
  const scope = scopeFor(session)
  setSessionHeaders(res, commitHeadersNow(scope) ?? (await commitHeaders(scope)))
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
  checkDoorOptions('hallpass/node withSession()', options, ['trustProxy', 'csrf', 'onError'])
  const pipeline = new Pipeline(sessions, options)
  return async (req, res) => {
    let scope: RequestScope<D> | undefined
    try {
      scope = await pipeline.load(clientFacts(req))
      const loaded = scope
      const stop = pipeline.checks && (await pipeline.check(loaded, requestFacts(req)))
      if (stop) return sendReply(res, stop)
      const reply = await pipeline.run(loaded, () => handler(req, loaded.session))
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value)
      setSessionHeaders(res, pipeline.commitNow(loaded) ?? (await pipeline.commit(loaded)))
      res.statusCode = reply.status ?? 200
      res.end(reply.body)
    } catch (err) {
      const failure = await pipeline.fail(scope, err)
      if (!failure.known) (options.onError ?? reportError)(err, req)
      sendReply(res, failure.reply)
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
export function guard<D extends SessionData>(
  check: Guard,
  handler: NodeHandler<D>,
): NodeHandler<D> {
  return async (req, session) =>
    runGuard(check, session, (outcome) => {
      if (outcome === 'allow') return handler(req, session)
      const denied = DENIED[outcome]
      return {
        status: denied.status,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(denied.body),
      }
    })
}
