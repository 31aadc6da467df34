// OpenTelemetry over real HTTP: Hono under @hono/otel's server spans, hallpass/hono on a real redis-server, the real SDK.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { httpInstrumentationMiddleware } from '@hono/otel'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { Hono } from 'hono'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { session, type SessionEnv } from '../../src/adapters/hono.ts'
import type { Sessions } from '../../src/index.ts'
import { openTelemetry } from '../../src/opentelemetry/index.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { createLoginThrottle } from '../../src/throttle/index.ts'
import { Browser, type Reply } from '../scenarios/harness/client.ts'
import { startRedis, uniquePrefix, type RedisServer } from '../support/redis.ts'
import { testSessions } from '../support/sessions.ts'
import {
  exportedText,
  hallpassSpans,
  only,
  parentOf,
  startSdk,
  total,
  type TestSdk,
} from './sdk.ts'

const USER = 'alice-7f3a@example.com'
const ACCOUNT = 'victim-91c2@example.com'
const AGENT = 'TelemetryProbe/4.2 (X11; hallpass-test)'
const PASSWORD = 'correct horse battery staple'

let redis: RedisServer
let client: ReturnType<typeof createClient>
let sdk: TestSdk
const servers: Server[] = []

beforeAll(async () => {
  redis = await startRedis()
  client = createClient({ url: redis.url })
  client.on('error', () => undefined)
  await client.connect()
})

afterAll(async () => {
  client?.destroy()
  await redis?.stop()
})

beforeEach(() => {
  sdk = startSdk()
})

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  )
  await sdk.shutdown()
})

/** hallpass/hono with telemetry on a fresh Redis prefix, under @hono/otel, served over real HTTP. */
async function serve(options: { recordSessionIds?: boolean } = {}): Promise<{
  browser: () => Browser
  sessions: Sessions
}> {
  const { sessions } = testSessions({
    store: redisStore({ client, prefix: uniquePrefix('otel') }),
    telemetry: openTelemetry({ ...options }),
  })
  const throttle = createLoginThrottle(sessions, { maxFailuresPerAccount: 2, backoffAfter: 5 })
  const app = new Hono<SessionEnv>()
  app.use(httpInstrumentationMiddleware({ serviceName: 'telemetry-test' }))
  app.use(session(sessions))
  app.post('/login', async (c) => {
    const body = (await c.req.json()) as { user: string }
    await c.get('session').login(body.user)
    c.get('session').set('theme', 'dark')
    return c.json({ ok: true })
  })
  app.get('/me', (c) => c.json({ user: c.get('session').userId }))
  app.post('/logout-everywhere', async (c) => {
    const userId = c.get('session').userId
    if (userId === null) return c.json({ error: 'anonymous' }, 401)
    return c.json({ revoked: await sessions.revokeUserSessions(userId) })
  })
  app.post('/guess', async (c) => {
    const body = (await c.req.json()) as { password: string }
    const result = await throttle.attempt(
      { account: ACCOUNT, ip: c.get('session').ip },
      async () => body.password === PASSWORD,
    )
    return c.json({ ok: result.ok }, result.ok ? 200 : 429)
  })
  const server = createAdaptorServer({ fetch: app.fetch }) as Server
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { browser: () => new Browser(base), sessions }
}

const headers = { 'user-agent': AGENT }

function signIn(browser: Browser): Promise<Reply> {
  return browser.request('POST', '/login', { body: { user: USER }, headers })
}

function me(browser: Browser): Promise<Reply> {
  return browser.request('GET', '/me', { headers })
}

/** The request spans @hono/otel made (kind SERVER) for `path` (from `url.full`: a refused request has no route), in the order they ended. */
function serverSpans(spans: ReadableSpan[], path: string): ReadableSpan[] {
  return spans.filter(
    (s) =>
      s.kind === SpanKind.SERVER && new URL(String(s.attributes['url.full'])).pathname === path,
  )
}

/** hallpass's spans of one request: those in its trace. */
function ofRequest(spans: ReadableSpan[], server: ReadableSpan): ReadableSpan[] {
  const traceId = server.spanContext().traceId
  return hallpassSpans(spans).filter((s) => s.spanContext().traceId === traceId)
}

/** Whatever the request, nothing secret or personal reaches an exported value. */
async function expectNothingPrivate(secrets: string[]): Promise<void> {
  const text = exportedText(sdk.spans(), await sdk.points())
  expect(text.length).toBeGreaterThan(100) // the scan sees the export
  for (const secret of secrets) expect(text, secret).not.toContain(secret)
}

/** The cookie value (and the token inside it) a browser holds, for the privacy scans. */
function cookieSecrets(browser: Browser): string[] {
  const value = (browser.cookie ?? '').split('=')[1] ?? ''
  expect(value.length).toBeGreaterThan(40)
  const token = value.split('.')[1] as string // <kid>.<tag+token>.<attrs>.<mac>
  return [value, token, token.slice(4, 24), browser.cookie as string]
}

describe('hallpass/opentelemetry over HTTP (Hono, Redis)', () => {
  it('a sign-in: the load, the store create and the commit (with its patch) are children of the HTTP span', async () => {
    const { browser: open, sessions } = await serve()
    const browser = open()
    expect((await signIn(browser)).status).toBe(200)

    const spans = sdk.spans()
    const [http] = serverSpans(spans, '/login')
    expect(http).toBeDefined()
    const ours = ofRequest(spans, http as ReadableSpan)
    expect(ours.map((s) => s.name).sort()).toEqual([
      'hallpass.session.commit',
      'hallpass.session.load',
      'hallpass.store.create',
      'hallpass.store.patch',
    ])
    const load = only(ours, 'hallpass.session.load')
    const create = only(ours, 'hallpass.store.create')
    const commit = only(ours, 'hallpass.session.commit')
    const patch = only(ours, 'hallpass.store.patch')
    const httpId = http?.spanContext().spanId
    expect(parentOf(load)).toBe(httpId) // the load: first thing in the request, under the server span
    expect(parentOf(create)).toBe(httpId) // login() runs in the handler, under the server span
    expect(parentOf(commit)).toBe(httpId)
    expect(parentOf(patch)).toBe(commit.spanContext().spanId) // the commit's write
    expect(load.attributes).toEqual({
      'hallpass.session.authenticated': false,
      'hallpass.session.new': true,
    })
    expect(commit.attributes).toEqual({ 'hallpass.session.authenticated': true })
    expect(create.attributes).toEqual({
      'hallpass.store.operation': 'create',
      'hallpass.store.kind': 'redis',
      'hallpass.store.count': 0,
    })
    expect(patch.attributes['hallpass.store.result']).toBe('ok')
    for (const span of ours) expect(span.status.code).toBe(SpanStatusCode.UNSET)
    // The audit events of the handler are span events of the span active then: the HTTP span.
    const events = http?.events.filter((e) => e.name.startsWith('hallpass.'))
    expect(events?.map((e) => [e.name, e.attributes])).toEqual([
      ['hallpass.session.created', { 'hallpass.session.kind': 'login' }],
      ['hallpass.login.succeeded', {}],
    ])

    const points = await sdk.points()
    expect(total(points, 'hallpass.sessions.created', { 'hallpass.session.kind': 'login' })).toBe(1)
    for (const operation of ['create', 'patch'])
      expect(
        total(points, 'hallpass.store.duration', {
          'hallpass.store.operation': operation,
          'hallpass.store.outcome': 'ok',
          'hallpass.store.kind': 'redis',
        }),
      ).toBe(1)
    const [id] = (await sessions.listSessions(USER)).map((s) => s.id)
    await expectNothingPrivate([USER, AGENT, '127.0.0.1', ...cookieSecrets(browser), id as string])
  })

  it('a read: the load span holds the store get; nothing to write, so no commit span', async () => {
    const { browser: open, sessions } = await serve()
    const browser = open()
    await signIn(browser)
    const reply = await me(browser)
    expect(reply.json).toEqual({ user: USER })

    const spans = sdk.spans()
    const [http] = serverSpans(spans, '/me')
    const ours = ofRequest(spans, http as ReadableSpan)
    expect(ours.map((s) => s.name).sort()).toEqual(['hallpass.session.load', 'hallpass.store.get'])
    const load = only(ours, 'hallpass.session.load')
    const get = only(ours, 'hallpass.store.get')
    expect(parentOf(load)).toBe(http?.spanContext().spanId)
    expect(parentOf(get)).toBe(load.spanContext().spanId)
    expect(load.attributes).toEqual({
      'hallpass.session.authenticated': true,
      'hallpass.session.new': false,
    })
    expect(get.attributes).toEqual({
      'hallpass.store.operation': 'get',
      'hallpass.store.kind': 'redis',
      'hallpass.store.result': 'found',
    })
    const points = await sdk.points()
    const gets = points.filter(
      (p) =>
        p.name === 'hallpass.store.duration' && p.attributes['hallpass.store.operation'] === 'get',
    )
    expect(gets).toHaveLength(1)
    expect(gets[0]).toMatchObject({ unit: 's', value: 1 })
    expect(gets[0]?.sum).toBeGreaterThan(0)
    expect(gets[0]?.sum).toBeLessThan(5) // seconds, not milliseconds
    const [id] = (await sessions.listSessions(USER)).map((s) => s.id)
    await expectNothingPrivate([USER, AGENT, '127.0.0.1', ...cookieSecrets(browser), id as string])
  })

  it('a revocation: "log out everywhere" is one store revoke span, ended{revoke} counts both sessions, the other device is rejected', async () => {
    const { browser: open } = await serve()
    const laptop = open()
    const phone = open()
    await signIn(laptop)
    await signIn(phone)
    const phoneSecrets = cookieSecrets(phone)
    const laptopSecrets = cookieSecrets(laptop)
    const reply = await laptop.request('POST', '/logout-everywhere', { headers })
    expect(reply.json).toEqual({ revoked: 2 })
    expect((await me(phone)).json).toEqual({ user: null })

    const spans = sdk.spans()
    const [http] = serverSpans(spans, '/logout-everywhere')
    const revoke = only(ofRequest(spans, http as ReadableSpan), 'hallpass.store.revoke')
    expect(parentOf(revoke)).toBe(http?.spanContext().spanId)
    expect(revoke.attributes['hallpass.store.count']).toBe(2)
    expect(
      http?.events.filter((e) => e.name === 'hallpass.session.revoked').map((e) => e.attributes),
    ).toEqual([
      { 'hallpass.session.end_reason': 'revoke' },
      { 'hallpass.session.end_reason': 'revoke' },
    ])
    // The phone's next request: its record is gone, so the load span says why it is anonymous.
    const [phoneRead] = serverSpans(sdk.spans(), '/me')
    const load = only(ofRequest(sdk.spans(), phoneRead as ReadableSpan), 'hallpass.session.load')
    expect(load.events.map((e) => [e.name, e.attributes])).toEqual([
      ['hallpass.session.rejected', { 'hallpass.session.reject_reason': 'not_found' }],
    ])
    expect(load.attributes['hallpass.session.authenticated']).toBe(false)

    const points = await sdk.points()
    expect(
      total(points, 'hallpass.sessions.ended', { 'hallpass.session.end_reason': 'revoke' }),
    ).toBe(2)
    expect(
      total(points, 'hallpass.sessions.rejected', {
        'hallpass.session.reject_reason': 'not_found',
      }),
    ).toBe(1)
    expect(total(points, 'hallpass.sessions.created')).toBe(2)
    await expectNothingPrivate([USER, AGENT, '127.0.0.1', ...phoneSecrets, ...laptopSecrets])
  })

  it('CSRF refusals and throttle lockouts are counted by reason, with no account, path or IP', async () => {
    const { browser: open } = await serve()
    const browser = open()
    const crossSite = await browser.request('POST', '/logout-everywhere', {
      headers: { ...headers, 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite.status).toBe(403)
    const guess = (password: string): Promise<Reply> =>
      browser.request('POST', '/guess', { body: { password }, headers })
    expect((await guess('wrong-1')).status).toBe(429)
    expect((await guess('wrong-2')).status).toBe(429) // the second failure locks the account
    expect((await guess(PASSWORD)).status).toBe(429) // refused: locked

    const points = await sdk.points()
    expect(
      total(points, 'hallpass.csrf.rejections', { 'hallpass.csrf.reason': 'cross_site' }),
    ).toBe(1)
    expect(
      total(points, 'hallpass.throttle.lockouts', { 'hallpass.throttle.scope': 'account' }),
    ).toBe(2)
    const [refused] = serverSpans(sdk.spans(), '/logout-everywhere')
    expect(refused?.events.map((e) => [e.name, e.attributes])).toEqual([
      ['hallpass.csrf.rejected', { 'hallpass.csrf.reason': 'cross_site' }],
    ])
    await expectNothingPrivate([ACCOUNT, PASSWORD, AGENT, '127.0.0.1', '/logout-everywhere'])
  })

  it('recordSessionIds: the public id is on the load and commit spans only, never on store spans or metrics', async () => {
    const { browser: open, sessions } = await serve({ recordSessionIds: true })
    const browser = open()
    await signIn(browser)
    await me(browser)
    const [id] = (await sessions.listSessions(USER)).map((s) => s.id)
    const spans = hallpassSpans(sdk.spans())
    const withId = spans.filter((s) => s.attributes['hallpass.session.id'] !== undefined)
    expect(withId.map((s) => s.name).sort()).toEqual([
      'hallpass.session.commit', // the sign-in's, under the new id
      'hallpass.session.load', // the read's
    ])
    for (const span of withId) expect(span.attributes['hallpass.session.id']).toBe(id)
    const metricsText = JSON.stringify((await sdk.points()).map((p) => p.attributes))
    expect(metricsText).not.toContain(id as string)
    await expectNothingPrivate([USER, AGENT, '127.0.0.1', ...cookieSecrets(browser)])
  })

  it('an outage: redis-server killed mid-test gives a 503, and the load and store spans carry the error', async () => {
    const { browser: open } = await serve()
    const browser = open()
    await signIn(browser)
    const secrets = cookieSecrets(browser)
    await redis.kill()
    try {
      expect((await me(browser)).status).toBe(503)
    } finally {
      await redis.restart()
    }

    const spans = sdk.spans()
    const [http] = serverSpans(spans, '/me')
    const ours = ofRequest(spans, http as ReadableSpan)
    const load = only(ours, 'hallpass.session.load')
    const get = only(ours, 'hallpass.store.get')
    expect(parentOf(get)).toBe(load.spanContext().spanId)
    expect(load.status).toEqual({ code: SpanStatusCode.ERROR, message: 'STORE_UNAVAILABLE' })
    expect(load.attributes['error.type']).toBe('STORE_UNAVAILABLE')
    expect(get.status.code).toBe(SpanStatusCode.ERROR)
    expect(get.attributes['error.type']).toMatch(/^[A-Za-z_$][\w$.]*$/)
    expect(get.attributes['hallpass.store.result']).toBeUndefined()
    expect(http?.status.code).toBe(SpanStatusCode.ERROR) // @hono/otel: a 5xx

    const points = await sdk.points()
    const failed = points.filter(
      (p) =>
        p.name === 'hallpass.store.duration' && p.attributes['hallpass.store.outcome'] === 'error',
    )
    expect(failed).toHaveLength(1)
    expect(failed[0]?.attributes).toMatchObject({
      'hallpass.store.operation': 'get',
      'hallpass.store.kind': 'redis',
      'error.type': get.attributes['error.type'],
    })
    await expectNothingPrivate([USER, AGENT, '127.0.0.1', `:${redis.port}`, ...secrets])
  })
})
