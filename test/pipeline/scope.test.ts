// The request scope: one per request, reachable from its session; requireBoundDevice() decides about such sessions only.
import { describe, expect, it } from 'vitest'
import { csrfToken } from '../../src/csrf/index.ts'
import { requireBoundDevice } from '../../src/dbsc/index.ts'
import { HallpassError } from '../../src/errors.ts'
import { Pipeline } from '../../src/pipeline/pipeline.ts'
import { STORE_DOWN, withCookies } from '../../src/pipeline/replies.ts'
import { scopeOf } from '../../src/pipeline/scope.ts'
import { testSessions } from '../support/sessions.ts'

const NO_CLIENT = {
  cookie: undefined,
  socketIp: '127.0.0.1',
  forwardedFor: undefined,
  userAgent: 'ua',
}
const get = (path = '/') => ({
  method: 'GET',
  path,
  encrypted: false,
  host: 'app.test',
  header: () => undefined,
})

describe('requireBoundDevice() decides about sessions a front door loaded, and nothing else', () => {
  it('refuses a principal that is not a session, however it is shaped (it used to be let through)', async () => {
    const { sessions } = testSessions({ deviceBound: true })
    const guard = requireBoundDevice()
    // An app's own principal (from a JWT, an API key...), or a plain object made to look like a signed-in session.
    const forged = { userId: 'alice', roles: ['admin'], permissions: [], deviceBinding: undefined }
    expect(await guard(forged)).toBe('unauthenticated')
    // A real session that no front door loaded: the DBSC step never judged its bound cookie.
    const session = await sessions.load()
    await session.login('alice')
    expect(await guard(session)).toBe('unauthenticated')
  })

  it('lets through a signed-in session whose request ran the DBSC step (no key registered yet)', async () => {
    const { sessions } = testSessions({ deviceBound: true })
    const pipeline = new Pipeline(sessions, { csrf: false })
    const scope = await pipeline.load(NO_CLIENT)
    await scope.session.login('alice')
    expect(await pipeline.check(scope, get())).toBeUndefined()
    expect(await requireBoundDevice()(scope.session)).toBe('allow')
  })
})

describe('the request scope', () => {
  it('is created by load, reachable from its session, and one per request', async () => {
    const { sessions } = testSessions()
    const pipeline = new Pipeline(sessions, {})
    const first = await pipeline.load(NO_CLIENT)
    const second = await pipeline.load(NO_CLIENT)
    expect(scopeOf(first.session)).toBe(first)
    expect(scopeOf(second.session)).toBe(second)
    expect(scopeOf(await sessions.load())).toBeUndefined()
  })

  it('holds the CSRF state that csrfToken(session) reads; a session without one gets CONFIG_INVALID', async () => {
    const { sessions } = testSessions()
    const pipeline = new Pipeline(sessions, {})
    const scope = await pipeline.load(NO_CLIENT)
    expect(() => csrfToken(scope.session)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
    expect(await pipeline.check(scope, get())).toBeUndefined()
    expect(scope.csrf).toBeDefined()
    expect(csrfToken(scope.session)).toMatch(/^[\w-]+$/)
    // The pre-session cookie the token is bound to goes out with the commit.
    const headers = await pipeline.commit(scope)
    expect(
      headers.cookies.some((c) => c.startsWith('hp-csrf=') || c.startsWith('__Host-hp-csrf=')),
    ).toBe(true)
  })

  it('commits a read that changed nothing without awaiting (the hot path)', async () => {
    const { sessions } = testSessions()
    const pipeline = new Pipeline(sessions, { csrf: false })
    const scope = await pipeline.load(NO_CLIENT)
    const headers = pipeline.commitNow(scope)
    expect(headers).toEqual({ cookies: [], noStore: false })
  })

  it('after a recorded failure the commit writes nothing and sends only the cookie of the id issued', async () => {
    const { sessions } = testSessions()
    const pipeline = new Pipeline(sessions, { csrf: false })
    const scope = await pipeline.load(NO_CLIENT)
    await scope.session.login('alice')
    scope.session.set('cart', 'book')
    scope.failure = withCookies(STORE_DOWN, [])
    const headers = await pipeline.commit(scope)
    expect(headers.cookies).toHaveLength(1)
    const reloaded = await sessions.load({ cookie: headers.cookies[0]!.split(';')[0] })
    expect(reloaded.userId).toBe('alice')
    expect(reloaded.get('cart')).toBeUndefined()
  })

  it('turns errors into replies: 503 and 409 known, anything else a bare 500 with no internals', async () => {
    const { sessions } = testSessions()
    const pipeline = new Pipeline(sessions, { csrf: false })
    const scope = await pipeline.load(NO_CLIENT)
    await scope.session.login('alice')
    const unknown = await pipeline.fail(scope, new Error('secret-internal-detail'))
    expect(unknown.known).toBe(false)
    expect(unknown.reply.status).toBe(500)
    expect(unknown.reply.body).not.toContain('secret')
    expect(unknown.reply.cookies).toHaveLength(1) // the login's new id still reaches the browser
    const outage = await pipeline.fail(undefined, new HallpassError('STORE_UNAVAILABLE', 'down'))
    expect(outage).toMatchObject({ known: true, reply: { status: 503, cookies: [] } })
  })
})
