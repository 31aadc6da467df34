// hallpass/sveltekit: a `handle` hook that puts the session on `event.locals.session` and commits it onto the response.
import { runWithSession } from '../context/storage.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import {
  csrfRejectedResponse,
  formTokenOf,
  storeDownResponse,
  withSessionHeaders,
} from '../adapters/fetch-io.ts'
import { isStoreDown } from '../adapters/replies.ts'
import {
  commitHeaders,
  csrfFor,
  loadFromFacts,
  passesCsrf,
  type AdapterOptions,
} from '../adapters/steps.ts'
import { refuseDeviceBound } from './device-bound.ts'

/** Options for `handleSession`. The client address comes from `event.getClientAddress()` (adapter-node's `ADDRESS_HEADER`/`XFF_DEPTH`), the origin from `event.url` (its `ORIGIN`/`PROTOCOL_HEADER`). */
export type SvelteKitOptions = Omit<AdapterOptions, 'trustProxy'>

/** What `handleSession` reads from a SvelteKit `RequestEvent` (a `RequestEvent` is one). */
export interface SvelteKitEvent {
  readonly request: Request
  readonly url: URL
  readonly locals: object
  getClientAddress(): string
}

/** The hook's input: a SvelteKit `Handle` receives one. */
export interface SvelteKitHandleInput<E extends SvelteKitEvent> {
  readonly event: E
  resolve(event: E): Response | Promise<Response>
}

/**
 * Declare `App.Locals` with it, so `event.locals.session` is typed:
 *
 * ```ts
 * // src/app.d.ts
 * import type { SessionLocals } from 'hallpass/sveltekit'
 * declare global { namespace App { interface Locals extends SessionLocals<MyData> {} } }
 * export {}
 * ```
 */
export interface SessionLocals<D extends SessionData = SessionData> {
  session: Session<D>
}

/**
 * The `handle` hook: loads the session into `event.locals.session`, checks CSRF for every method but
 * GET, HEAD and OPTIONS (after SvelteKit's own origin check on form posts, which stays on), and
 * commits once the response is resolved, adding its Set-Cookie headers (also on `redirect()`
 * responses from form actions). A store outage becomes a 503. `getSession()` from `hallpass/context`
 * works inside. Compose it with `sequence()` from `@sveltejs/kit/hooks` if you have other hooks.
 *
 * @default csrf on; SvelteKit's `trustedOrigins` do not bypass it: list such a form's path in `csrf.exempt`
 * @example
 * ```ts
 * // src/hooks.server.ts
 * import { handleSession } from 'hallpass/sveltekit'
 * import { sessions } from '#lib/server/sessions'
 * export const handle = handleSession(sessions)
 * ```
 */
export function handleSession<D extends SessionData>(
  sessions: Sessions<D>,
  options: SvelteKitOptions = {},
) {
  refuseDeviceBound(sessions, 'hallpass/sveltekit')
  const csrf = csrfFor(sessions, options)
  return async <E extends SvelteKitEvent>({
    event,
    resolve,
  }: SvelteKitHandleInput<E>): Promise<Response> => {
    const { request, url } = event
    try {
      const session = await loadFromFacts(
        sessions,
        {
          cookie: request.headers.get('cookie'),
          socketIp: clientAddress(event),
          forwardedFor: null,
          userAgent: request.headers.get('user-agent'),
        },
        {},
      )
      ;(event.locals as { session?: Session<D> }).session = session
      const facts = {
        method: request.method,
        path: url.pathname,
        encrypted: url.protocol === 'https:',
        host: url.host,
        header: (name: string) => request.headers.get(name),
      }
      if (!(await passesCsrf(csrf, session, facts, {}, () => formTokenOf(request))))
        return csrfRejectedResponse()
      const response = await runWithSession(session, () => resolve(event))
      return withSessionHeaders(response, await commitHeaders(session as Session<SessionData>))
    } catch (err) {
      if (isStoreDown(err)) return storeDownResponse()
      throw err
    }
  }
}

/** `getClientAddress()` throws while prerendering; a session then has no address. */
function clientAddress(event: SvelteKitEvent): string | undefined {
  try {
    return event.getClientAddress()
  } catch {
    return undefined
  }
}
