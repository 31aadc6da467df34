// hallpass/tanstack-start's request middleware handler on its own: commit onto redirects, late writes refused, CSRF, outages, getSession outside a request.
import { describe, expect, it } from 'vitest'
import { createSessions, isHallpassError, type Store } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { tanstackSessions } from '../../src/integrations/tanstack-start.ts'

const SECRET = 'tanstack-handler-test-secret-0123456789-abc'
const ORIGIN = 'http://app.test'

function setup(store: Store = memoryStore()) {
  const sessions = createSessions({ secret: SECRET, store, cookie: { secure: false } })
  return { sessions, ...tanstackSessions(sessions) }
}

const cookieOf = (response: Response): string =>
  (response.headers.getSetCookie()[0] ?? '').split(';')[0]!

describe('tanstackSessions().sessionHandler', () => {
  it('commits a login made before `throw redirect()` onto the redirect response', async () => {
    const { sessionHandler, getSession, sessions } = setup()
    const request = new Request(`${ORIGIN}/_serverFn/signIn`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin' },
    })
    const result = await sessionHandler({
      request,
      next: async () => {
        await getSession().login('u1')
        // What Start hands back once a server function threw redirect(): a redirect Response.
        return { response: new Response(null, { status: 307, headers: { location: '/account' } }) }
      },
    })
    const response = result instanceof Response ? result : result.response
    expect(response.status).toBe(307)
    expect(response.headers.get('location')).toBe('/account')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const session = await sessions.load({ cookie: cookieOf(response) })
    expect(session.userId).toBe('u1')
  })

  it('passes the session to the rest of the request as context.session and through getSession()', async () => {
    const { sessionHandler, getSession } = setup()
    let seen: unknown
    await sessionHandler({
      request: new Request(`${ORIGIN}/`),
      next: async ({ context }) => {
        seen = context.session === getSession()
        return { response: new Response('ok') }
      },
    })
    expect(seen).toBe(true)
  })

  it('refuses a write after the response was committed (a late promise of a streamed page) with SESSION_COMMITTED', async () => {
    const { sessionHandler, getSession } = setup()
    let late: Promise<unknown> = Promise.resolve()
    let release = (): void => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    await sessionHandler({
      request: new Request(`${ORIGIN}/`),
      next: async () => {
        const session = getSession()
        late = gate.then(() => session.set('cart', ['late']))
        return { response: new Response('streaming…') }
      },
    })
    release()
    const error = await late.then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(isHallpassError(error, 'SESSION_COMMITTED')).toBe(true)
  })

  it('answers a cross-site POST with 403 before anything runs', async () => {
    const { sessionHandler } = setup()
    let ran = false
    const result = await sessionHandler({
      request: new Request(`${ORIGIN}/_serverFn/signOut`, {
        method: 'POST',
        headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.test' },
      }),
      next: async () => {
        ran = true
        return { response: new Response('ok') }
      },
    })
    expect(ran).toBe(false)
    expect(result instanceof Response && result.status).toBe(403)
  })

  it('answers 503 without internals while the store is down', async () => {
    const store = memoryStore()
    const { sessionHandler, sessions } = setup(store)
    const signed = await sessions.load({})
    await signed.login('u1')
    const cookie = (await signed.commit()).cookies[0]!.split(';')[0]!
    store.get = async () => {
      throw new Error('ECONNREFUSED 10.0.0.5:6379')
    }
    const result = await sessionHandler({
      request: new Request(`${ORIGIN}/account`, { headers: { cookie } }),
      next: async () => ({ response: new Response('ok') }),
    })
    expect(result instanceof Response && result.status).toBe(503)
    expect(await (result as Response).text()).not.toContain('ECONNREFUSED')
  })
})

describe('tanstackSessions().getSession', () => {
  it('throws CONFIG_INVALID, naming the fix, outside a request that went through the middleware', () => {
    const { getSession } = setup()
    expect(() => getSession()).toThrow(/requestMiddleware in src\/start\.ts/)
  })
})
