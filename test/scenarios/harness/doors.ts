// Serves the scenario app through each framework integration's own entry point (test/support/integration-doors.ts), in-process behind node:http.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Session } from '../../../src/core/session.ts'
import {
  frameworkError,
  INTEGRATIONS,
  type DoorApp,
  type IntegrationName,
} from '../../support/integration-doors.ts'
import { listen, type Running } from './servers.ts'
import { findRoute, type Route, type World } from './world.ts'

export type { IntegrationName } from '../../support/integration-doors.ts'

/** The scenario route's neutral body, as an endpoint returning JSON. */
async function runRoute(route: Route, session: Session, request: Request): Promise<Response> {
  const body = request.method === 'POST' ? await request.json().catch(() => null) : null
  const out = await route.run({ session, query: new URL(request.url).searchParams, body })
  return Response.json(out.json, { status: out.status ?? 200 })
}

const routeOf = (world: World, request: Request): Route | undefined =>
  findRoute(world.routes, request.method, new URL(request.url).pathname)

/** The world's routes as the app an integration serves: a 404 where no route matches. */
function worldApp(world: World): DoorApp {
  return {
    endpoint: async (request, session) => {
      const route = routeOf(world, request)
      return route
        ? runRoute(route, session, request)
        : Response.json({ error: 'not found' }, { status: 404 })
    },
    guard: (request) => routeOf(world, request)?.guard,
    // Next's route files: one per route, and the device-binding endpoints as one (app/dbsc/[step]/route.ts).
    nextPage: (request) => {
      const route = routeOf(world, request)
      if (!route && !new URL(request.url).pathname.startsWith('/dbsc/')) return undefined
      return `/app${(route?.path ?? '/dbsc/[step]').replace(/\/$/, '')}/route`
    },
  }
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
  const door = INTEGRATIONS[name](world.sessions, world.adapterOptions, worldApp(world))
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
