// The framework integrations' entry points, each called as its framework calls it around one app endpoint, with the framework's own error rule: the one home of the integration doors.
// Next's server loads this first: it puts AsyncLocalStorage on globalThis, where Next's request scope looks for it.
import 'next/dist/server/node-environment-baseline.js'
import { vi } from 'vitest'
import type { FetchAdapterOptions } from '../../src/adapters/fetch.ts'
import type { Sessions } from '../../src/core/manager.ts'
import type { Session } from '../../src/core/session.ts'
import { isHallpassError } from '../../src/errors.ts'
import type { Guard } from '../../src/guards/index.ts'
import { guard as astroGuard, sessionMiddleware } from '../../src/integrations/astro.ts'
import { nextSessions } from '../../src/integrations/next.ts'
import { handleSession, sessionErrors } from '../../src/integrations/sveltekit.ts'
import { tanstackSessions } from '../../src/integrations/tanstack-start.ts'
import { inNextScope } from './next-scope.ts'

// `server-only` throws outside a React Server bundle; hallpass/next and hallpass/tanstack-start import it.
vi.mock('server-only', () => ({}))
vi.mock('@tanstack/react-start/server-only', () => ({}))

/**
 * The integrations, each as its framework calls it: `astro` (onRequest middleware around an endpoint),
 * `sveltekit` (the handle hook around a +server.ts endpoint), `tanstack-route` (the request middleware around
 * a server route), `tanstack-fn` (the same middleware around a server function), `next-route` (withSession
 * and guard on a route handler) and `next-action` (sessionAction; its GET requests are route handlers, as an
 * app reads in pages and writes in actions).
 */
export type IntegrationName =
  'astro' | 'sveltekit' | 'tanstack-route' | 'tanstack-fn' | 'next-route' | 'next-action'

/**
 * The integrations around a route, where hallpass's pipeline sets the status of an error (401, 403, 409, 503):
 * every one but the TanStack server function and the Next server action, whose framework owns it.
 */
export const ROUTE_INTEGRATIONS: readonly IntegrationName[] = [
  'astro',
  'sveltekit',
  'tanstack-route',
  'next-route',
]

/** The app's code for a request, given the request the framework hands it and the session; it may throw. */
export type Endpoint = (request: Request, session: Session) => Promise<Response>

/** What the app serves through an integration. */
export interface DoorApp {
  readonly endpoint: Endpoint
  /** The guard on the request's route, applied with the framework's guard where it has one, else by the app. */
  guard?(request: Request): Guard | undefined
  /**
   * Next.js: the route file that serves the request (`/app/<path>/route`); undefined when none does, which
   * Next answers 404 before any hallpass code runs. Default: a route file for every path.
   */
  nextPage?(request: Request): string | undefined
}

/** One request through an integration: the Fetch request and the client's address. */
export type Door = (request: Request, clientAddress?: string) => Promise<Response>

/** The options every integration takes. */
export type DoorOptions = Pick<FetchAdapterOptions, 'csrf' | 'onError'>

const LOOPBACK = '127.0.0.1'

/** The framework's answer to an error that reached it: a 500 that carries no cookie and no detail. */
export const frameworkError = (): Response =>
  new Response('Internal Error', { status: 500, headers: { 'content-type': 'text/plain' } })

const notFound = (): Response => Response.json({ error: 'not found' }, { status: 404 })

/**
 * A TanStack Start server function's error as its caller receives it (@tanstack/start-server-core 1.169): the call's
 * answer is a 200 carrying the serialized error, and Start's ShallowErrorPlugin keeps its `message` only, so the
 * client rethrows a plain Error without the `code`.
 */
function serverFnError(err: unknown): Response {
  return Response.json({ error: { message: err instanceof Error ? err.message : String(err) } })
}

/**
 * A Next.js server action's error: Next answers 500 and hands the thrown error to its action runtime
 * (`onRequestError`, error boundaries: where the app reads its `code`; in production the browser gets a digest).
 */
function actionError(err: unknown): Response {
  const name = err instanceof Error ? err.name : 'Error'
  const code = isHallpassError(err) ? err.code : undefined
  return Response.json({ error: { name, ...(code && { code }) } }, { status: 500 })
}

/** A guard answered by the app itself (SvelteKit and TanStack Start have no guard wrapper): the adapters' JSON 401/403. */
async function appGuard(
  check: Guard | undefined,
  session: Session,
  allowed: () => Promise<Response>,
): Promise<Response> {
  const outcome = check ? await check(session) : 'allow'
  if (outcome === 'allow') return allowed()
  return outcome === 'unauthenticated'
    ? Response.json(
        { error: { code: 'UNAUTHENTICATED', message: 'Sign in to continue.' } },
        { status: 401 },
      )
    : Response.json(
        { error: { code: 'FORBIDDEN', message: 'You do not have access to this resource.' } },
        { status: 403 },
      )
}

function astro(sessions: Sessions, options: DoorOptions, app: DoorApp): Door {
  const onRequest = sessionMiddleware(sessions, options)
  return async (request, clientAddress = LOOPBACK) => {
    const locals: { session?: Session } = {}
    const context = {
      request,
      url: new URL(request.url),
      locals,
      clientAddress,
      isPrerendered: false,
      redirect: (path: string, status: 302 | 303 = 302) =>
        new Response(null, { status, headers: { location: path } }),
    }
    const endpoint = () => app.endpoint(context.request, locals.session!)
    const check = app.guard?.(request)
    try {
      // Astro runs the endpoint as the middleware's next(); what the endpoint throws rejects next().
      return await onRequest(context, () =>
        check ? astroGuard(check, endpoint)(context) : endpoint(),
      )
    } catch {
      return frameworkError()
    }
  }
}

function sveltekit(sessions: Sessions, options: DoorOptions, app: DoorApp): Door {
  const handle = handleSession(sessions, options)
  const handleError = sessionErrors() // the app's `handleError` hook, as docs/frameworks.md installs it
  return async (request, clientAddress = LOOPBACK) => {
    const event = {
      request,
      url: new URL(request.url),
      locals: {} as { session?: Session },
      getClientAddress: () => clientAddress,
    }
    try {
      return await handle({
        event,
        // SvelteKit's resolve() catches what a +server.ts endpoint throws and answers it (handleError, then a 500).
        async resolve(e) {
          const session = e.locals.session!
          try {
            return await appGuard(app.guard?.(e.request), session, () =>
              app.endpoint(e.request, session),
            )
          } catch (error) {
            handleError({ error, event: e })
            return Response.json({ message: 'Internal Error' }, { status: 500 })
          }
        },
      })
    } catch {
      return frameworkError()
    }
  }
}

/** TanStack Start: server routes let an error reject the middleware's next(); server functions answer it as a response. */
function tanstack(kind: 'route' | 'fn') {
  return (sessions: Sessions, options: DoorOptions, app: DoorApp): Door => {
    const { sessionHandler, getSession } = tanstackSessions(sessions, options)
    return async (request) => {
      const serve = async (): Promise<Response> => {
        const session = getSession()
        return appGuard(app.guard?.(request), session, () => app.endpoint(request, session))
      }
      try {
        const result = await sessionHandler({
          request,
          async next() {
            if (kind === 'route') return { response: await serve() }
            try {
              return { response: await serve() }
            } catch (err) {
              return { response: serverFnError(err) }
            }
          },
        })
        return result instanceof Response ? result : result.response
      } catch {
        return frameworkError()
      }
    }
  }
}

/** The route file of a path, for Next's request scope. */
const routeFile = (request: Request): string =>
  `/app${new URL(request.url).pathname.replace(/\/$/, '')}/route`

/**
 * Next.js: a route handler (withSession, guard) for every route; `actions` makes the POST requests server actions
 * (but the device-binding endpoints, which the app mounts as one route handler: app/dbsc/[step]/route.ts).
 */
function next(actions: boolean) {
  return (sessions: Sessions, options: DoorOptions, app: DoorApp): Door => {
    const bound = nextSessions(sessions, options)
    return async (request) => {
      const page = (app.nextPage ?? routeFile)(request)
      if (page === undefined) return notFound()
      return inNextScope(request, page, async (scope) => {
        const { pathname } = new URL(request.url)
        if (actions && request.method === 'POST' && !pathname.startsWith('/dbsc/')) {
          const action = bound.sessionAction((session: Session) => app.endpoint(request, session))
          try {
            return scope.withWrittenCookies(await action())
          } catch (err) {
            // Next answers an action that threw with its error payload, and still sends the cookies it set.
            return scope.withWrittenCookies(actionError(err))
          }
        }
        const check = app.guard?.(request)
        const routeHandler = bound.withSession(
          check ? bound.guard(check, app.endpoint) : app.endpoint,
        )
        try {
          return scope.withWrittenCookies(await routeHandler(request, {}))
        } catch {
          // A route handler that threw: Next answers 500 and sends none of the cookies it set.
          return frameworkError()
        }
      })
    }
  }
}

/** Each integration, as an app installs it with `options`, serving `app`. */
export const INTEGRATIONS: Record<
  IntegrationName,
  (sessions: Sessions, options: DoorOptions, app: DoorApp) => Door
> = {
  astro,
  sveltekit,
  'tanstack-route': tanstack('route'),
  'tanstack-fn': tanstack('fn'),
  'next-route': next(false),
  'next-action': next(true),
}
