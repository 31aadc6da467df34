// Next's gate (proxy.ts) with device-bound sessions and during an outage: the answers Next's proxy can send.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { nextSessions } from '../../src/integrations/next.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import type { Store } from '../../src/stores/types.ts'
import { testClock } from '../support/clock.ts'
import { DbscAgent } from '../dbsc/agent.ts'
import { testSessions } from '../support/sessions.ts'

// `server-only` only throws when imported outside a React Server bundle; the gate needs no bundle.
vi.mock('server-only', () => ({}))

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  )
})

/** A store whose reads fail like an unreachable server while `down.reads` is true. */
function outageStore(inner: Store, down: { reads: boolean }): Store {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (property !== 'get' || typeof value !== 'function') return value
      return (...args: unknown[]) =>
        down.reads
          ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'))
          : (value as (...a: unknown[]) => unknown).apply(target, args)
    },
  })
}

/** POST /login signs alice in through a route handler; every other path is behind the gate, as in proxy.ts. */
async function start() {
  const clock = testClock()
  const down = { reads: false }
  const world = testSessions({
    clock,
    deviceBound: true,
    store: outageStore(memoryStore({ clock }), down),
  })
  const next = nextSessions(world.sessions)
  const gate = next.gate({ signIn: '/login' })
  const login = next.withSession(async (_request, session) => {
    await session.login('alice')
    return Response.json({ userId: session.userId })
  })
  const server = createAdaptorServer({
    fetch: async (request: Request) => {
      if (new URL(request.url).pathname === '/login') return login(request, {})
      return (await gate(request)) ?? Response.json({ page: 'account' })
    },
  }) as Server
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { ...world, base, down, device: () => new DbscAgent(base, clock) }
}

describe('hallpass/next gate()', () => {
  it('a bound session with a tampered bound cookie gets a 307 to an absolute URL that clears it (a relative Location is a 500 in Next)', async () => {
    const t = await start()
    const device = t.device()
    expect((await device.request('POST', '/login')).json.userId).toBe('alice')
    const bound = device.bound!
    const cookie = device.jar.get(bound.cookieName)!
    device.jar.set(bound.cookieName, { ...cookie, value: cookie.value.slice(0, -4) + 'AAAA' })

    const response = await fetch(`${t.base}/account?tab=devices`, {
      headers: { cookie: device.cookie! },
      redirect: 'manual',
    })
    expect(response.status).toBe(307)
    expect(response.headers.get('location')).toBe(`${t.base}/account?tab=devices`)
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${bound.cookieName}=;`))).toBe(
      true,
    )
    // The device refreshes with its key, as Chromium does, and is let through.
    expect((await device.request('GET', '/account')).json.page).toBe('account')
  })

  it('a store outage during the load is a 503 with the adapters’ JSON, not a 500', async () => {
    const t = await start()
    const device = t.device()
    expect((await device.request('POST', '/login')).json.userId).toBe('alice')
    t.down.reads = true
    const response = await fetch(`${t.base}/account`, {
      headers: { cookie: device.cookie! },
      redirect: 'manual',
    })
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    const body = (await response.json()) as { error: { code: string } }
    expect(body.error.code).toBe('STORE_UNAVAILABLE')
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED')
    t.down.reads = false
    expect((await device.request('GET', '/account')).json.page).toBe('account')
  })
})
