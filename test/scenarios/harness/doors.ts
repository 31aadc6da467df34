// Serves the scenario app through each framework integration's own entry point, in-process behind node:http, with the framework's error rule around it.
// Next's server loads this first: it puts AsyncLocalStorage on globalThis, where Next's request scope looks for it.
import 'next/dist/server/node-environment-baseline.js'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { vi } from 'vitest'
import type { Session } from '../../../src/core/session.ts'
import { isHallpassError } from '../../../src/errors.ts'
import type { Guard } from '../../../src/guards/index.ts'
import { guard as astroGuard, sessionMiddleware } from '../../../src/integrations/astro.ts'
import { nextSessions } from '../../../src/integrations/next.ts'
import { handleSession, sessionErrors } from '../../../src/integrations/sveltekit.ts'
import { tanstackSessions } from '../../../src/integrations/tanstack-start.ts'
import { inNextScope } from './next-scope.ts'
import { listen, type Running } from './servers.ts'
import { findRoute, type Route, type World } from './world.ts'

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

/** One request through an integration: the Fetch request and the client's address. */
type Door = (request: Request, clientAddress: string) => Promise<Response>

/** The framework's answer to an error that reached it: a 500 that carries no cookie and no detail. */
const frameworkError = (): Response =>
  new Response('Internal Error', { status: 500, headers: { 'content-type': 'text/plain' } })

/**
 * A server function's or server action's error as its caller receives it: the framework owns the status (500)
 * and delivers the thrown error itself. TanStack Start serializes the Error's own properties (`name`, `message`,
 * `code`) for the client to rethrow; Next hands the rejection to its action runtime (the browser gets its digest).
 */
function deliveredError(err: unknown): Response {
  const name = err instanceof Error ? err.name : 'Error'
  const code = isHallpassError(err) ? err.code : undefined
  return Response.json({ error: { name, ...(code && { code }) } }, { status: 500 })
}

/** The scenario route's neutral body, as an endpoint returning JSON. */
async function runRoute(route: Route, session: Session, request: Request): Promise<Response> {
  const body = request.method === 'POST' ? await request.json().catch(() => null) : null
  const out = await route.run({ session, query: new URL(request.url).searchParams, body })
  return Response.json(out.json, { status: out.status ?? 200 })
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

const notFound = (): Response => Response.json({ error: 'not found' }, { status: 404 })
const routeOf = (world: World, request: Request): Route | undefined =>
  findRoute(world.routes, request.method, new URL(request.url).pathname)

function astro(world: World): Door {
  const onRequest = sessionMiddleware(world.sessions, world.adapterOptions)
  return async (request, clientAddress) => {
    const route = routeOf(world, request)
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
    const endpoint = () => runRoute(route!, locals.session!, request)
    try {
      // Astro runs the endpoint as the middleware's next(); what the endpoint throws rejects next().
      return await onRequest(context, async () => {
        if (!route) return notFound()
        return route.guard ? astroGuard(route.guard, endpoint)(context) : endpoint()
      })
    } catch {
      return frameworkError()
    }
  }
}

function sveltekit(world: World): Door {
  const handle = handleSession(world.sessions, world.adapterOptions)
  const handleError = sessionErrors() // the app's `handleError` hook, as docs/frameworks.md installs it
  return async (request, clientAddress) => {
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
          const route = routeOf(world, request)
          if (!route) return notFound()
          const session = e.locals.session!
          try {
            return await appGuard(route.guard, session, () => runRoute(route, session, request))
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
  return (world: World): Door => {
    const { sessionHandler, getSession } = tanstackSessions(world.sessions, world.adapterOptions)
    return async (request) => {
      const route = routeOf(world, request)
      const serve = async (): Promise<Response> => {
        if (!route) return notFound()
        const session = getSession()
        return appGuard(route.guard, session, () => runRoute(route, session, request))
      }
      try {
        const result = await sessionHandler({
          request,
          async next() {
            if (kind === 'route') return { response: await serve() }
            try {
              return { response: await serve() }
            } catch (err) {
              return { response: deliveredError(err) }
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

/** Next.js: a route handler (withSession, guard) for every route; `actions` makes the POST routes server actions. */
function next(actions: boolean) {
  return (world: World): Door => {
    const bound = nextSessions(world.sessions, world.adapterOptions)
    return async (request) => {
      const route = routeOf(world, request)
      const { pathname } = new URL(request.url)
      // Next routes first: a path without a route file is its 404, before any hallpass code runs. The app
      // mounts the device-binding endpoints as one route handler (app/dbsc/[step]/route.ts).
      if (!route && !pathname.startsWith('/dbsc/')) return notFound()
      const page = `/app${(route?.path ?? '/dbsc/[step]').replace(/\/$/, '')}/route`
      return inNextScope(request, page, async (scope) => {
        if (actions && route && request.method === 'POST') {
          const action = bound.sessionAction((session: Session) =>
            runRoute(route, session, request),
          )
          try {
            return scope.withWrittenCookies(await action())
          } catch (err) {
            // Next answers an action that threw with its error payload, and still sends the cookies it set.
            return scope.withWrittenCookies(deliveredError(err))
          }
        }
        const handler = (req: Request, session: Session) =>
          route ? runRoute(route, session, req) : Promise.resolve(notFound())
        const routeHandler = bound.withSession(
          route?.guard ? bound.guard(route.guard, handler) : handler,
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

const DOORS: Record<IntegrationName, (world: World) => Door> = {
  astro,
  sveltekit,
  'tanstack-route': tanstack('route'),
  'tanstack-fn': tanstack('fn'),
  'next-route': next(false),
  'next-action': next(true),
}

/** Reads a node:http request into a Fetch Request, as the frameworks' Node servers do. */
async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const method = req.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD'
  return new Request(new URL(req.url ?? '/', origin), {
    method,
    headers,
    ...(hasBody && { body: Buffer.concat(chunks) }),
  })
}

async function send(res: ServerResponse, response: Response, head: boolean): Promise<void> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  res.writeHead(response.status, headers)
  res.end(head ? undefined : Buffer.from(await response.arrayBuffer()))
}

/** Serves the world's routes through the named integration on 127.0.0.1 and an ephemeral port. */
export function startIntegration(name: IntegrationName, world: World): Promise<Running> {
  const door = DOORS[name](world)
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host ?? '127.0.0.1'}`
    void (async () => {
      let request: Request
      try {
        request = await toRequest(req, origin)
      } catch {
        return send(res, new Response('Bad Request', { status: 400 }), false)
      }
      await send(res, await door(request, req.socket.remoteAddress ?? ''), req.method === 'HEAD')
    })().catch(() => send(res, frameworkError(), false))
  })
  return listen(server)
}
