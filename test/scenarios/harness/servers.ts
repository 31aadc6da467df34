// Starts the same scenario app on each of the five adapters, on 127.0.0.1 and an ephemeral port.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import express, { type RequestHandler } from 'express'
import Fastify from 'fastify'
import { Hono, type Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import * as expressAdapter from '../../../src/adapters/express.ts'
import * as fastifyAdapter from '../../../src/adapters/fastify.ts'
import * as fetchAdapter from '../../../src/adapters/fetch.ts'
import * as honoAdapter from '../../../src/adapters/hono.ts'
import * as nodeAdapter from '../../../src/adapters/node.ts'
import type { Session } from '../../../src/core/session.ts'
import { findRoute, type World } from './world.ts'

/** A running app: its base URL and how to stop it. */
export interface Running {
  readonly url: string
  close(): Promise<void>
}

export type AdapterName = 'fetch' | 'node' | 'express' | 'hono' | 'fastify'

// This repo's program also loads @types/express-session and @fastify/session (bench/), whose own
// `session` declarations win over hallpass's, so the Express and Fastify apps below cast.
const query = (url: string): URLSearchParams => new URLSearchParams(url.split('?')[1] ?? '')
const pathOf = (url: string): string => url.split('?')[0] ?? url

/** Listens on 127.0.0.1 and an ephemeral port. */
export async function listen(server: Server): Promise<Running> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = ''
  for await (const chunk of req) text += chunk
  return text ? JSON.parse(text) : null
}

function startFetch(world: World): Promise<Running> {
  const app = fetchAdapter.withSession(
    world.sessions,
    async (request, session) => {
      const route = findRoute(world.routes, request.method, pathOf(new URL(request.url).pathname))
      if (!route) return Response.json({ error: 'not found' }, { status: 404 })
      const handler: fetchAdapter.FetchHandler = async (req, s) => {
        const body = req.method === 'POST' ? await req.json().catch(() => null) : null
        const out = await route.run({ session: s, query: new URL(req.url).searchParams, body })
        return Response.json(out.json, { status: out.status ?? 200 })
      }
      return (route.guard ? fetchAdapter.guard(route.guard, handler) : handler)(request, session)
    },
    world.adapterOptions,
  )
  return listen(createAdaptorServer({ fetch: app }) as Server)
}

function startNode(world: World): Promise<Running> {
  const app = nodeAdapter.withSession(
    world.sessions,
    async (req, session) => {
      const route = findRoute(world.routes, req.method ?? 'GET', pathOf(req.url ?? '/'))
      if (!route) return { status: 404, body: '{"error":"not found"}' }
      const handler: nodeAdapter.NodeHandler = async (r, s) => {
        const out = await route.run({
          session: s,
          query: query(r.url ?? ''),
          body: r.method === 'POST' ? await readJson(r).catch(() => null) : null,
        })
        return {
          status: out.status ?? 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(out.json),
        }
      }
      return (route.guard ? nodeAdapter.guard(route.guard, handler) : handler)(req, session)
    },
    world.adapterOptions,
  )
  return listen(createServer(app))
}

function startExpress(world: World): Promise<Running> {
  const app = express()
  app.use(expressAdapter.session(world.sessions, world.adapterOptions))
  app.use(express.json())
  for (const route of world.routes) {
    const guards: RequestHandler[] = route.guard ? [expressAdapter.guard(route.guard)] : []
    const handler: RequestHandler = async (req, res) => {
      const out = await route.run({
        session: req.session as unknown as Session,
        query: query(req.originalUrl),
        body: req.body ?? null,
      })
      res.status(out.status ?? 200).json(out.json)
    }
    if (route.method === 'GET') app.get(route.path, ...guards, handler)
    else app.post(route.path, ...guards, handler)
  }
  app.use(expressAdapter.sessionErrors())
  return listen(createServer(app))
}

function startHono(world: World): Promise<Running> {
  const app = new Hono().use(honoAdapter.session(world.sessions, world.adapterOptions))
  for (const route of world.routes) {
    const handler = async (c: Context<honoAdapter.SessionEnv>) => {
      const body = route.method === 'POST' ? await c.req.json().catch(() => null) : null
      const out = await route.run({ session: c.get('session'), query: query(c.req.url), body })
      return c.json(out.json as object, (out.status ?? 200) as ContentfulStatusCode)
    }
    if (route.guard) app.on(route.method, route.path, honoAdapter.guard(route.guard), handler)
    else app.on(route.method, route.path, handler)
  }
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server)
}

async function startFastify(world: World): Promise<Running> {
  const app = Fastify()
  await app.register(fastifyAdapter.session(world.sessions, world.adapterOptions))
  for (const route of world.routes) {
    app.route({
      method: route.method,
      url: route.path,
      ...(route.guard && { onRequest: fastifyAdapter.guard(route.guard) }),
      handler: async (request, reply) => {
        const out = await route.run({
          session: request.session as unknown as Session,
          query: query(request.url),
          body: request.body ?? null,
        })
        return reply.code(out.status ?? 200).send(out.json)
      },
    })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
}

/** Every adapter, with the function that serves the scenario app on it. */
export const SERVERS: Record<AdapterName, (world: World) => Promise<Running>> = {
  fetch: startFetch,
  node: startNode,
  express: startExpress,
  hono: startHono,
  fastify: startFastify,
}
