// The four broken rows, on the framework integrations: errors after an id change keep the user's session, 409s, logout in an outage.
import { beforeEach, describe, expect, it } from 'vitest'
import { createSessions, type Session } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { outageStore } from '../scenarios/harness/world.ts'
import {
  INTEGRATIONS,
  ROUTE_INTEGRATIONS,
  type IntegrationName,
} from '../support/integration-doors.ts'

const ORIGIN = 'http://app.test'
const SECRET = 'integration-errors-secret-0123456789-abcdef'

/** One door over an outage store: `send` keeps the cookies the way a browser does. */
function setup(name: IntegrationName) {
  const store = outageStore(memoryStore())
  const sessions = createSessions({ secret: SECRET, store, cookie: { secure: false } })
  const endpoint = async (request: Request, session: Session) => {
    const url = new URL(request.url)
    if (url.pathname === '/login') await session.login('alice')
    if (url.pathname === '/login-throw') await session.login('alice')
    if (url.pathname === '/regenerate-throw') await session.regenerate()
    if (url.pathname === '/update') await session.update((data) => ({ ...data, n: 1 }))
    if (url.pathname === '/logout') await session.logout()
    if (url.pathname.endsWith('-throw')) throw new Error('the app failed after the id change')
    return Response.json({ userId: session.userId })
  }
  const app = INTEGRATIONS[name](sessions, { onError: () => {} }, { endpoint })
  const jar = new Map<string, string>()
  const send = async (path: string, method = 'POST') => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await app(
      new Request(ORIGIN + path, {
        method,
        headers: { 'sec-fetch-site': 'same-origin', ...(cookie && { cookie }) },
      }),
    )
    const setCookies = response.headers.getSetCookie()
    for (const line of setCookies) {
      const [pair = ''] = line.split(';')
      const name = pair.slice(0, pair.indexOf('='))
      if (/max-age=0/i.test(line)) jar.delete(name)
      else jar.set(name, pair.slice(name.length + 1))
    }
    const text = await response.text()
    return {
      status: response.status,
      setCookies,
      json: text.startsWith('{') ? JSON.parse(text) : text,
    }
  }
  const whoami = async () => (await send('/whoami', 'GET')).json.userId
  return { store, sessions, jar, send, whoami }
}

for (const name of ROUTE_INTEGRATIONS) {
  describe(`${name}: errors never sign anyone out by accident`, () => {
    let t: ReturnType<typeof setup>
    beforeEach(() => {
      t = setup(name)
    })

    it('login() then a throw: a 500 that carries the new cookie, and the user is signed in', async () => {
      const failed = await t.send('/login-throw')
      expect(failed.status).toBe(500)
      expect(failed.setCookies.some((c) => c.startsWith(`${t.sessions.cookie.name}=`))).toBe(true)
      expect(await t.whoami()).toBe('alice')
      expect(await t.sessions.listSessions('alice')).toHaveLength(1)
    })

    it('regenerate() then a throw: a 500 with the new cookie, and the user stays signed in', async () => {
      await t.send('/login')
      const before = t.jar.get(t.sessions.cookie.name)
      expect((await t.send('/regenerate-throw')).status).toBe(500)
      expect(t.jar.get(t.sessions.cookie.name)).not.toBe(before)
      expect(await t.whoami()).toBe('alice')
    })

    it('update() that loses every compare-and-swap round: a JSON 409 SESSION_CONFLICT, and the session survives', async () => {
      await t.send('/login')
      t.store.conflicts = true
      const reply = await t.send('/update')
      t.store.conflicts = false
      expect(reply.status).toBe(409)
      expect(reply.json.error.code).toBe('SESSION_CONFLICT')
      expect(await t.whoami()).toBe('alice')
    })

    it('logout() while the store is down: a 503 that clears the cookie, so the browser is signed out', async () => {
      await t.send('/login')
      t.store.failing.add('destroy')
      t.store.failing.add('revoke')
      const reply = await t.send('/logout')
      t.store.failing.clear()
      expect(reply.status).toBe(503)
      expect(reply.json.error.code).toBe('STORE_UNAVAILABLE')
      expect(t.jar.has(t.sessions.cookie.name)).toBe(false)
      expect(await t.whoami()).toBeNull()
    })
  })
}
