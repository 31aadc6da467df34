// hallpass/sveltekit: a `handle` hook that puts the session on `event.locals.session` and commits it onto the response.
import { requestFacts, serveFetch, type FetchAdapterOptions } from '../adapters/fetch-io.ts'
import type { Sessions } from '../core/manager.ts'
import { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { checkDoorOptions } from '../pipeline/facts.ts'
import { Pipeline } from '../pipeline/pipeline.ts'
import { errorReply, withCookies } from '../pipeline/replies.ts'
import { scopeOf, type RequestScope } from '../pipeline/scope.ts'
import { reportError } from '../pipeline/report.ts'

/** Options for `handleSession`. The client address comes from `event.getClientAddress()` (adapter-node's `ADDRESS_HEADER`/`XFF_DEPTH`), the origin from `event.url` (its `ORIGIN`/`PROTOCOL_HEADER`). */
export type SvelteKitOptions = Pick<FetchAdapterOptions, 'csrf' | 'onError'>

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
 * responses from form actions). It runs the pipeline every front door runs, device-bound sessions included;
 * with `sessionErrors()` as `handleError`, a store outage becomes a 503 and a lost session a 409. `getSession()` from `hallpass/context`
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
  checkDoorOptions(
    'hallpass/sveltekit handleSession()',
    options,
    ['csrf', 'onError'],
    "SvelteKit sets the client address and the origin itself: adapter-node's ADDRESS_HEADER, XFF_DEPTH and PROTOCOL_HEADER (docs/frameworks.md)",
  )
  const pipeline = new Pipeline(sessions, {
    ...(options.csrf !== undefined && { csrf: options.csrf }),
  })
  const onError = options.onError ?? reportError
  return async <E extends SvelteKitEvent>({
    event,
    resolve,
  }: SvelteKitHandleInput<E>): Promise<Response> => {
    const handle = (scope: RequestScope<D>) => {
      Reflect.set(event.locals, 'session', scope.session)
      return resolve(event)
    }
    // The origin is SvelteKit's (`event.url`: its ORIGIN / PROTOCOL_HEADER), the path without `__data.json`.
    const facts = (request: Request) => requestFacts(request, event.url, event.url.host)
    return serveFetch(pipeline, event.request, clientAddress(event), handle, onError, facts)
  }
}

/** Options for `sessionErrors`. */
export interface SessionErrorsOptions {
  /**
   * Reports the errors `sessionErrors()` does not answer itself: everything but a hallpass 409 or 503 (SvelteKit's
   * 404s are not reported, as SvelteKit's own `handleError` does not log them).
   * @default the error with the request's method and path, never its headers (the Cookie holds the session token)
   */
  readonly onError?: (error: unknown, request: Request) => void
}

/** The input SvelteKit passes to `handleError`. */
export interface SvelteKitErrorInput {
  readonly error: unknown
  readonly event: SvelteKitEvent
  readonly status?: number
  readonly message?: string
}

/**
 * The `handleError` hook, or a call in yours: a hallpass error that a load function, action or endpoint let through
 * (`STORE_UNAVAILABLE`, `SESSION_GONE`, `SESSION_CONFLICT`) is recorded on the request, and `handleSession` answers
 * with its 503 or 409 (nothing written, the cookie of an id the request issued or ended sent) instead of SvelteKit's 500.
 * Every other error is reported to `onError` (SvelteKit's own `handleError`, which this one replaces, logs them too)
 * and SvelteKit renders its 500.
 *
 * @default onError: the error with the request's method and path (console.error), never its headers
 * @example
 * ```ts
 * // src/hooks.server.ts
 * import { handleSession, sessionErrors } from 'hallpass/sveltekit'
 * export const handle = handleSession(sessions)
 * export const handleError = sessionErrors()
 * ```
 */
export function sessionErrors(
  options: SessionErrorsOptions = {},
): (input: SvelteKitErrorInput) => undefined {
  checkDoorOptions('hallpass/sveltekit sessionErrors()', options, ['onError'])
  const onError = options.onError ?? reportError
  return ({ error, event, status }) => {
    const known = errorReply(error)
    const session: unknown = Reflect.get(event.locals, 'session')
    const scope = known && session instanceof Session ? scopeOf(session) : undefined
    if (known && scope) scope.failure = withCookies(known, [])
    else if (status !== 404) onError(error, event.request)
    return undefined
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
