// The contract suite's Worker: durableObjectStore() over HallpassSessions, its methods served over HTTP for the Node side.
import { errorEnvelope } from '../../src/stores/durable-object/protocol.ts'
import {
  durableObjectStore,
  HallpassSessions,
  type DurableNamespace,
} from '../../src/stores/durable-object/index.ts'

/** How far the objects' clock is ahead of real time (`POST /advance`); workerd runs the objects in this isolate. */
let offset = 0

/** The real object, with a clock the test moves. */
export class TestSessions extends HallpassSessions {
  protected override now(): number {
    return Date.now() + offset
  }
}

const METHODS = new Set(['get', 'create', 'patch', 'destroy', 'listByUser', 'revoke', 'ping'])

export default {
  async fetch(request: Request, env: { SESSIONS: DurableNamespace }): Promise<Response> {
    const { pathname } = new URL(request.url)
    if (pathname === '/advance') {
      offset += Number(await request.text())
      return new Response('ok')
    }
    const method = pathname.slice('/store/'.length)
    if (!pathname.startsWith('/store/') || !METHODS.has(method))
      return new Response(null, { status: 404 })
    const store = durableObjectStore(env.SESSIONS) as unknown as Record<
      string,
      (...args: unknown[]) => Promise<unknown>
    >
    const args = (await request.json()) as unknown[]
    try {
      return Response.json({ value: (await store[method]!(...args)) ?? null })
    } catch (err) {
      return Response.json(errorEnvelope(err))
    }
  },
}
