// hallpass/astro: middleware that puts the session on `Astro.locals.session` and commits it onto the page's response; guards for pages and endpoints.
import { serveFetch, type FetchAdapterOptions } from '../adapters/fetch-io.ts'
import type { Sessions } from '../core/manager.ts'
import { sameOriginPath, signInUrl } from '../core/redirect.ts'
import { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { checkOptionKeys, configError } from '../errors.ts'
import type { Guard } from '../guards/access.ts'
import { checkDoorOptions } from '../pipeline/facts.ts'
import { commitHeaders, Pipeline } from '../pipeline/pipeline.ts'
import { attached, DENIED } from '../pipeline/replies.ts'
import { RequestScope } from '../pipeline/scope.ts'
import { reportError } from '../pipeline/report.ts'

/** Options for `sessionMiddleware`: those of every adapter (`trustProxy`, `csrf`), and `onError`. */
export type AstroOptions = Pick<FetchAdapterOptions, 'trustProxy' | 'csrf' | 'onError'>

/** What hallpass reads from Astro's `APIContext` (an `APIContext` is one). */
export interface AstroContext {
  readonly request: Request
  readonly url: URL
  readonly locals: object
  readonly clientAddress: string
  readonly isPrerendered: boolean
  redirect(path: string, status?: 302 | 303): Response
}

/**
 * Declare `App.Locals` with it, so `Astro.locals.session` is typed:
 *
 * ```ts
 * // src/env.d.ts (a module: the imports make it one, so App is declared inside `declare global`)
 * import type { SessionLocals } from 'hallpass/astro'
 * import type { Data } from './lib/sessions'
 * declare global {
 *   namespace App {
 *     interface Locals extends SessionLocals<Data> {}
 *   }
 * }
 * ```
 * Not `interface Locals extends import('hallpass/astro').SessionLocals<…>`: an interface cannot extend an
 * `import()` type, and in a `.d.ts` that error is silent while `Locals` loses `session`.
 */
export interface SessionLocals<D extends SessionData = SessionData> {
  session: Session<D>
}

/**
 * The `onRequest` middleware: loads the session into `Astro.locals.session`, checks CSRF for every
 * method but GET, HEAD and OPTIONS, and commits when the page's `Response` is returned, before its
 * first byte. Change the session in middleware, endpoints or the page's own frontmatter: components
 * render while the page streams, after the commit, so a change there throws `SESSION_COMMITTED`
 * instead of being lost. Set `security: { checkOrigin: false }` in astro.config: this check
 * replaces Astro's (which answers first and only for forms). It runs the pipeline every front door
 * runs: device-bound sessions (`deviceBound`), a store outage as a 503, `SESSION_GONE`/`SESSION_CONFLICT`
 * as a 409, any other error thrown by a page or endpoint as a bare JSON 500 reported to `onError`; every
 * error reply carries the cookie of an id the request issued or ended.
 *
 * @default csrf on (Fetch Metadata, exact Origin, masked tokens; see hallpass/csrf)
 * @example
 * ```ts
 * // src/middleware.ts
 * import { sessionMiddleware } from 'hallpass/astro'
 * import { sessions } from './lib/sessions'
 * export const onRequest = sessionMiddleware(sessions)
 * ```
 */
export function sessionMiddleware<D extends SessionData>(
  sessions: Sessions<D>,
  options: AstroOptions = {},
) {
  checkDoorOptions('hallpass/astro sessionMiddleware()', options, ['trustProxy', 'csrf', 'onError'])
  const pipeline = new Pipeline(sessions, options)
  const onError = options.onError ?? reportError
  return async (context: AstroContext, next: () => Promise<Response>): Promise<Response> => {
    if (!context.isPrerendered) {
      const handle = (scope: RequestScope<D>) => {
        Reflect.set(context.locals, 'session', scope.session)
        return next()
      }
      return serveFetch(pipeline, context.request, context.clientAddress, handle, onError)
    }
    // Built once for everyone: no cookie (no store read), and nothing it changes could reach a browser.
    const scope = new RequestScope(await sessions.load())
    Reflect.set(context.locals, 'session', scope.session)
    await commitHeaders(scope)
    return next()
  }
}

/** Options for `guardPage`. */
export interface GuardPageOptions {
  /**
   * Where anonymous visitors are sent; the page's path and query are added as `?next=` (read it back with
   * `safeRedirectPath` from `hallpass`); a path on this site, else `guardPage` throws CONFIG_INVALID. @default '/login'
   */
  loginPath?: string
  /** The answer for a signed-in user without the privilege. @default a plain-text 403 */
  forbidden?: (context: AstroContext) => Response
}

/**
 * A guard for a page's frontmatter: undefined when the visitor may see the page, else the
 * `Response` to return (a 303 to the login page, or a 403). It reads `Astro.locals.session`.
 *
 * @example
 * ```astro
 * ---
 * import { guardPage } from 'hallpass/astro'
 * import { requireRole } from 'hallpass/guards'
 * const denied = await guardPage(Astro, requireRole('admin'))
 * if (denied) return denied
 * ---
 * ```
 */
export async function guardPage(
  context: AstroContext,
  check: Guard,
  options: GuardPageOptions = {},
): Promise<Response | undefined> {
  checkGuardPageOptions(options)
  const outcome = await check(sessionOf(context))
  if (outcome === 'allow') return undefined
  if (outcome === 'forbidden')
    return (
      options.forbidden?.(context) ??
      new Response('Forbidden', {
        status: 403,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      })
    )
  const login = signInUrl(options.loginPath ?? '/login', context.url)
  return context.redirect(login.pathname + login.search, 303)
}

/**
 * Wraps an endpoint (`APIRoute`) with a guard: a JSON 401 when anonymous, 403 when privileges fall short.
 *
 * @example
 * ```ts
 * // src/pages/api/admin/stats.ts
 * import { guard } from 'hallpass/astro'
 * import { requireRole } from 'hallpass/guards'
 * export const GET = guard(requireRole('admin'), () => Response.json({ ok: true }))
 * ```
 */
export function guard<C extends AstroContext>(
  check: Guard,
  handler: (context: C) => Response | Promise<Response>,
): (context: C) => Promise<Response> {
  return async (context) => {
    const outcome = await check(sessionOf(context))
    if (outcome === 'allow') return handler(context)
    const denied = DENIED[outcome]
    return Response.json(denied.body, { status: denied.status })
  }
}

/** CONFIG_INVALID for an option `guardPage` does not take (`loginpath`), or one of the wrong type. */
function checkGuardPageOptions(options: GuardPageOptions): void {
  const owner = 'hallpass/astro guardPage()'
  if (typeof options !== 'object' || options === null)
    configError(
      `${owner}: options must be an object such as { loginPath: '/login' } (got ${String(options)})`,
    )
  checkOptionKeys(owner, options, ['loginPath', 'forbidden'])
  const { loginPath, forbidden } = options
  if (loginPath !== undefined && sameOriginPath(loginPath) === undefined)
    configError(
      `${owner}: loginPath must be a path on this site such as '/login' (got ${JSON.stringify(loginPath)})`,
    )
  if (forbidden !== undefined && typeof forbidden !== 'function')
    configError(`${owner}: forbidden must be a function (got ${typeof forbidden})`)
}

function sessionOf(context: AstroContext): Session<SessionData> {
  const value: unknown = Reflect.get(context.locals, 'session')
  return attached(
    value instanceof Session ? value : undefined,
    'hallpass/astro (src/middleware.ts: export const onRequest = sessionMiddleware(sessions))',
  )
}
