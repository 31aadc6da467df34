// Telemetry off (the default) adds nothing; bad telemetry options fail at creation; the node adapter and sealed cookies are traced too.
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { withSession } from '../../src/adapters/node.ts'
import { createSessions, type SessionEvent, type SessionTelemetry } from '../../src/index.ts'
import { openTelemetry, type OpenTelemetryOptions } from '../../src/opentelemetry/index.ts'
import { SCOPE_VERSION } from '../../src/opentelemetry/names.ts'
import { sealedCookies } from '../../src/sealed/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { Browser } from '../scenarios/harness/client.ts'
import { TEST_SECRET, testSessions } from '../support/sessions.ts'
import { hallpassSpans, only, parentOf, startSdk, total, type TestSdk } from './sdk.ts'

let sdk: TestSdk | undefined
const servers: Server[] = []

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))),
  )
  await sdk?.shutdown()
  sdk = undefined
})

/** hallpass/node over real HTTP: /login signs `u1` in and sets a key, /me reads. */
async function serveNode(sessions: ReturnType<typeof createSessions>): Promise<Browser> {
  const server = createServer(
    withSession(
      sessions,
      async (req, session) => {
        if (req.url === '/login') {
          await session.login('u1')
          session.set('n', 1)
          return { body: 'ok' }
        }
        return { body: String(session.userId) }
      },
      { csrf: false },
    ),
  )
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

describe('telemetry off (the default)', () => {
  beforeEach(() => {
    sdk = startSdk() // an SDK is registered, as in an app that traces other things
  })

  it('the manager uses the given store object itself, and a request makes no hallpass span or metric', async () => {
    const store = memoryStore()
    const { sessions } = testSessions({ store })
    expect(sessions.store).toBe(store) // no wrapper
    const browser = await serveNode(sessions)
    expect((await browser.post('/login')).status).toBe(200)
    expect((await browser.get('/me')).text).toBe('u1')
    expect(hallpassSpans(sdk?.spans() ?? [])).toEqual([])
    expect((await sdk?.points())?.filter((p) => p.scope === 'hallpass')).toEqual([])
  })
})

describe('createSessions({ telemetry })', () => {
  it('wraps the store once, and the app still receives every event through onEvent', () => {
    const store = memoryStore()
    const events: SessionEvent[] = []
    const sessions = createSessions({
      secret: TEST_SECRET,
      store,
      telemetry: openTelemetry(),
      onEvent: (e) => events.push(e),
    })
    expect(sessions.store).not.toBe(store)
    expect(sessions.store.kind).toBe('memory')
    sessions.emit({ type: 'login.failed', accountHash: 'h' })
    expect(events.map((e) => e.type)).toEqual(['login.failed'])
  })

  it('refuses what openTelemetry() did not make, and bad openTelemetry() options, with CONFIG_INVALID', () => {
    const bad: unknown[] = [{}, null, 'otel', { wrapStore: () => undefined }]
    for (const telemetry of bad)
      expect(() =>
        createSessions({
          secret: TEST_SECRET,
          telemetry: telemetry as SessionTelemetry,
        }),
      ).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringMatching(/openTelemetry\(\)/),
        }),
      )
    const badOptions: unknown[] = [
      { recordSessionIds: 'yes' },
      { tracerProvider: {} },
      { meterProvider: 42 },
      { recordSessionId: true }, // a typo must not silently record nothing
      null,
    ]
    for (const options of badOptions)
      expect(() => openTelemetry(options as OpenTelemetryOptions)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      )
  })

  it('reports the package version as the instrumentation scope version', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string
    }
    expect(SCOPE_VERSION).toBe(pkg.version)
  })

  it('an SDK started after createSessions() still gets the spans and the metrics', async () => {
    const { sessions } = testSessions({ telemetry: openTelemetry() })
    sdk = startSdk()
    const session = await sessions.load({ cookie: 'hp=forged' })
    expect(session.isAuthenticated).toBe(false)
    const points = await sdk.points()
    expect(
      total(points, 'hallpass.sessions.rejected', {
        'hallpass.session.reject_reason': 'malformed',
      }),
    ).toBe(1)
    const started = await sessions.load()
    started.set('n', 1)
    await started.commit()
    expect(hallpassSpans(sdk.spans()).map((s) => s.name)).toEqual(['hallpass.store.create'])
  })

  it('hallpass/node without an HTTP span: the load and commit are root spans, the commit holds its patch', async () => {
    sdk = startSdk()
    const { sessions } = testSessions({ telemetry: openTelemetry() })
    const browser = await serveNode(sessions)
    await browser.post('/login')
    const spans = hallpassSpans(sdk.spans())
    expect(spans.map((s) => s.name).sort()).toEqual([
      'hallpass.session.commit',
      'hallpass.session.load',
      'hallpass.store.create',
      'hallpass.store.patch',
    ])
    const commit = only(spans, 'hallpass.session.commit')
    expect(parentOf(only(spans, 'hallpass.session.load'))).toBeUndefined()
    expect(parentOf(commit)).toBeUndefined()
    expect(parentOf(only(spans, 'hallpass.store.patch'))).toBe(commit.spanContext().spanId)
    expect(only(spans, 'hallpass.store.create').attributes['hallpass.store.kind']).toBe('memory')
  })

  it('sealed cookies: the revocation store is the one traced', async () => {
    sdk = startSdk()
    const revocation = memoryStore()
    const { sessions, clock } = testSessions({
      store: sealedCookies({ revocation }),
      telemetry: openTelemetry(),
    })
    const session = await sessions.load()
    await session.login('u1')
    const cookie = (await session.commit()).cookies[0]?.split(';')[0]
    clock.advance(1000) // revoked after the cookie was issued
    await sessions.revokeUserSessions('u1')
    expect((await sessions.load({ cookie })).isAuthenticated).toBe(false)
    const names = hallpassSpans(sdk.spans()).map((s) => s.name)
    expect(names).toContain('hallpass.store.get') // the marker read at load
    expect(names).toContain('hallpass.store.create') // the marker written by the revoke
    const points = await sdk.points()
    // A sealed revoke-all ends an unknown number of sessions: it is not counted as one.
    expect(total(points, 'hallpass.sessions.ended')).toBe(0)
    expect(
      total(points, 'hallpass.sessions.rejected', { 'hallpass.session.reject_reason': 'revoked' }),
    ).toBe(1)
  })
})
