// #24.2 on the integrations, called with a streamed Request: a huge form body is refused after a bounded read.
import { describe, expect, it } from 'vitest'
import { csrfToken } from '../../src/csrf/index.ts'
import { FORM_TOKEN_BOUND } from '../../src/csrf/form-token.ts'
import { createSessions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import {
  countingBody,
  MULTIPART,
  streamedPost,
  URLENCODED,
  BOUNDARY,
} from '../support/form-bodies.ts'
import {
  INTEGRATIONS,
  ROUTE_INTEGRATIONS,
  type Endpoint,
  type IntegrationName,
} from '../support/integration-doors.ts'

const MiB = 1024 * 1024
const ORIGIN = 'http://app.test'
const CHUNK = 16 * 1024

/** One integration: runs a request through it, with `handler` as the app's page, endpoint or route handler. */
type Integration = (request: Request, handler: Endpoint) => Promise<Response>

function manager() {
  return createSessions({
    secret: 'form-token-bound-test-secret-0123456789ab',
    store: memoryStore(),
    cookie: { secure: false },
  })
}

/** The integration `name` over a fresh manager, serving each request with the handler given with it. */
function integration(name: IntegrationName): Integration {
  let current: Endpoint = async () => new Response(null, { status: 404 })
  const door = INTEGRATIONS[name](
    manager(),
    {},
    { endpoint: (req, session) => current(req, session) },
  )
  return (request, handler) => ((current = handler), door(request))
}

describe.each(ROUTE_INTEGRATIONS)('%s', (name) => {
  it('refuses a 512 MiB streamed form with no Origin and no token, pulling the bound and two chunks', async () => {
    const run = integration(name)
    for (const [type, head] of [
      [URLENCODED, 'a='],
      [
        MULTIPART,
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n`,
      ],
    ] as const) {
      const body = countingBody(head, 512 * MiB, CHUNK)
      let ran = false
      const response = await run(
        streamedPost(`${ORIGIN}/any/path`, type, body.stream),
        async () => ((ran = true), new Response('ran')),
      )
      expect(response.status).toBe(403)
      expect(await response.text()).toContain('CSRF_REJECTED')
      expect(ran).toBe(false)
      // What the lookup read (the bound) and the one chunk the tee reads ahead for the handler's branch.
      expect(body.pulled()).toBeLessThanOrEqual(FORM_TOKEN_BOUND + 2 * CHUNK)
    }
  })

  it('lets a 1 MB form with its token first through, and the handler reads all of it', async () => {
    const run = integration(name)
    const page = await run(new Request(`${ORIGIN}/form`), async (_request, session) =>
      Response.json({ token: csrfToken(session) }),
    )
    const { token } = (await page.json()) as { token: string }
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const form = `_csrf=${encodeURIComponent(token)}&note=${'n'.repeat(MiB)}&last=end`
    const body = countingBody(form, form.length, CHUNK)
    const response = await run(
      streamedPost(`${ORIGIN}/form`, URLENCODED, body.stream, { cookie }),
      async (request) => {
        const fields = await request.formData()
        return Response.json({
          note: (fields.get('note') as string).length,
          last: fields.get('last'),
        })
      },
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ note: MiB, last: 'end' })
  })
})
