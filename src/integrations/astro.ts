// hallpass/astro: middleware that puts the session on `Astro.locals.session` and commits it onto the page's response; guards for pages and endpoints.
import { runWithSession } from '../context/storage.ts'
import type { Sessions } from '../core/manager.ts'
import { safeRedirectPath } from '../core/redirect.ts'
import type { Session } from '../core/session.ts'
import type { Guard } from '../guards/access.ts'
import type { SessionData } from '../core/types.ts'
import {
  applySession,
  csrfRejectedResponse,
  formTokenOf,
  loadSession,
  requestFacts,
  storeDownResponse,
} from '../adapters/fetch-io.ts'
import { attached, DENIED, isStoreDown } from '../adapters/replies.ts'
import { csrfFor, passesCsrf, type AdapterOptions } from '../adapters/steps.ts'
import { refuseDeviceBound } from './device-bound.ts'

/** Options for `sessionMiddleware`. */
export type AstroOptions = AdapterOptions

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
 * replaces Astro's (which answers first and only for forms). A store outage becomes a 503.
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
  refuseDeviceBound(sessions, 'hallpass/astro')
  const csrf = csrfFor(sessions, options)
  return async (context: AstroContext, next: () => Promise<Response>): Promise<Response> => {
    const locals = context.locals as { session?: Session<D> }
    try {
      if (context.isPrerendered) {
        // Built once for everyone: no cookie, and nothing it changes could reach a browser.
        locals.session = await sessions.load()
        await locals.session.commit()
        return await next()
      }
      const { request } = context
      const session = await loadSession(sessions, request, {
        ...options,
        getIp: () => context.clientAddress,
      })
      locals.session = session
      if (
        !(await passesCsrf(csrf, session, requestFacts(request), options, () =>
          formTokenOf(request),
        ))
      )
        return csrfRejectedResponse()
      const response = await runWithSession(session, next)
      return await applySession(session as Session<SessionData>, response)
    } catch (err) {
      if (isStoreDown(err)) return storeDownResponse()
      throw err
    }
  }
}

/** Options for `guardPage`. */
export interface GuardPageOptions {
  /**
   * Where anonymous visitors are sent; the page's path and query are added as `?next=` (read it back with
   * `safeRedirectPath` from `hallpass`). @default '/login'
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
  const next = safeRedirectPath(context.url.pathname + context.url.search)
  return context.redirect(`${options.loginPath ?? '/login'}?next=${encodeURIComponent(next)}`, 303)
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

function sessionOf(context: AstroContext): Session<SessionData> {
  return attached(
    (context.locals as { session?: Session<SessionData> }).session,
    'hallpass/astro (src/middleware.ts: export const onRequest = sessionMiddleware(sessions))',
  )
}
