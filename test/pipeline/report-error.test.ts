// The default onError of every door logs the error by method and path: never the Cookie header (a session token) or the query.
import { createServer, type Server } from 'node:http'
import { inspect } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { withSession as fetchDoor } from '../../src/adapters/fetch.ts'
import { withSession as nodeDoor } from '../../src/adapters/node.ts'
import { createSessions, type Session } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { INTEGRATIONS, ROUTE_INTEGRATIONS } from '../support/integration-doors.ts'

const ORIGIN = 'http://app.test'
const SECRET = 'report-error-secret-0123456789-abcdefghij'
const FAILURE = 'the app failed here'

function manager() {
  return createSessions({ secret: SECRET, store: memoryStore(), cookie: { secure: false } })
}

/** Signs in through `send`, then sends a request that throws with that session's cookie and a secret in the query. */
async function signedInThrow(send: (path: string, cookie?: string) => Promise<Response>) {
  const login = await send('/login')
  const cookie = login.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ')
  expect(cookie).toMatch(/=.{40,}/) // a session cookie was issued
  const errorLog = vi.spyOn(console, 'error').mockImplementation(() => undefined)
  const response = await send('/throw?code=one-time-code-123', cookie)
  const logged = errorLog.mock.calls.map((args) => args.map((a) => inspect(a)).join(' ')).join('\n')
  errorLog.mockRestore()
  return { response, cookie, logged }
}

function expectSafeLog(logged: string, cookie: string, method: string): void {
  expect(logged).toContain(FAILURE)
  expect(logged).toContain(`${method} /throw`)
  for (const pair of cookie.split('; '))
    expect(logged).not.toContain(pair.slice(pair.indexOf('=') + 1))
  expect(logged).not.toContain('one-time-code-123')
}

afterEach(() => vi.restoreAllMocks())

/** The app behind every door: /login signs in, any other path throws. */
async function endpoint(request: Request, session: Session): Promise<Response> {
  if (new URL(request.url).pathname === '/login') await session.login('alice')
  else throw new Error(FAILURE)
  return Response.json({ ok: true })
}

/** The doors that take a Fetch Request, each with its default onError. */
const FETCH_DOORS: ReadonlyArray<readonly [string, () => (request: Request) => Promise<Response>]> =
  [
    ...ROUTE_INTEGRATIONS.map(
      (name) => [name, () => INTEGRATIONS[name](manager(), {}, { endpoint })] as const,
    ),
    ['hallpass/fetch', () => fetchDoor(manager(), endpoint)],
  ]

describe('the default onError never logs the session cookie', () => {
  for (const [name, makeDoor] of FETCH_DOORS) {
    it(name, async () => {
      const door = makeDoor()
      const send = (path: string, cookie?: string) =>
        door(
          new Request(ORIGIN + path, {
            method: 'POST',
            headers: { 'sec-fetch-site': 'same-origin', ...(cookie && { cookie }) },
          }),
        )
      const { response, cookie, logged } = await signedInThrow(send)
      expect(response.status).toBe(500)
      expectSafeLog(logged, cookie, 'POST')
    })
  }

  it('hallpass/node', async () => {
    const handler = nodeDoor(manager(), async (req, session) => {
      if (req.url === '/login') await session.login('alice')
      else throw new Error(FAILURE)
      return { body: 'ok' }
    })
    const server: Server = createServer((req, res) => void handler(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    try {
      const send = (path: string, cookie?: string) =>
        fetch(`http://127.0.0.1:${port}${path}`, {
          method: 'POST',
          headers: { 'sec-fetch-site': 'same-origin', ...(cookie && { cookie }) },
        })
      const { response, cookie, logged } = await signedInThrow(send)
      expect(response.status).toBe(500)
      expectSafeLog(logged, cookie, 'POST')
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('the default onError names the path the app routed', () => {
  it('logs a node request target as sent, without its query', async () => {
    const { reportError } = await import('../../src/pipeline/report.ts')
    const logged: string[] = []
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => inspect(a)).join(' '))
    })
    reportError(new Error(FAILURE), { method: 'GET', url: '//other.example/x?code=123' })
    reportError(new Error(FAILURE), { method: 'GET', url: 'http://alice:pw@host/abs?code=123' })
    expect(logged[0]).toContain('GET //other.example/x failed')
    expect(logged[1]).toContain('GET /abs failed')
    expect(logged.join('\n')).not.toMatch(/code=123|alice|pw@/)
  })
})
