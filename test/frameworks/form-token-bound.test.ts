// #24.2 on the integrations, called with a streamed Request: a huge form body is refused after a bounded read.
import { describe, expect, it, vi } from 'vitest'
import { csrfToken } from '../../src/csrf/index.ts'
import { FORM_TOKEN_BOUND } from '../../src/csrf/form-token.ts'
import { createSessions, type Session } from '../../src/index.ts'
import { sessionMiddleware } from '../../src/integrations/astro.ts'
import { nextSessions } from '../../src/integrations/next.ts'
import { handleSession } from '../../src/integrations/sveltekit.ts'
import { tanstackSessions } from '../../src/integrations/tanstack-start.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import {
  countingBody,
  MULTIPART,
  streamedPost,
  URLENCODED,
  BOUNDARY,
} from '../support/form-bodies.ts'

// `server-only` throws outside a React Server bundle; withSession itself needs no bundle (nor Next's request scope).
vi.mock('server-only', () => ({}))

const MiB = 1024 * 1024
const ORIGIN = 'http://app.test'
const CHUNK = 16 * 1024

type Handler = (request: Request, session: Session) => Promise<Response>
/** One integration: runs a request through it, with `handler` as the app's page, endpoint or route handler. */
type Integration = (request: Request, handler: Handler) => Promise<Response>

function manager() {
  return createSessions({
    secret: 'form-token-bound-test-secret-0123456789ab',
    store: memoryStore(),
    cookie: { secure: false },
  })
}

const INTEGRATIONS: Record<string, () => Integration> = {
  astro: () => {
    const middleware = sessionMiddleware(manager())
    return (request, handler) => {
      const locals: { session?: Session } = {}
      const context = {
        request,
        url: new URL(request.url),
        locals,
        clientAddress: '127.0.0.1',
        isPrerendered: false,
        redirect: () => new Response(null, { status: 303 }),
      }
      return middleware(context, () => handler(request, locals.session as Session))
    }
  },
  'tanstack-start': () => {
    const { sessionHandler } = tanstackSessions(manager())
    return async (request, handler) => {
      const result = await sessionHandler({
        request,
        next: async ({ context }) => ({ response: await handler(request, context.session) }),
      })
      return result instanceof Response ? result : result.response
    }
  },
  'next (withSession)': () => {
    const { withSession } = nextSessions(manager())
    return (request, handler) => withSession((req, session) => handler(req, session))(request, {})
  },
  sveltekit: () => {
    const handle = handleSession(manager())
    return (request, handler) => {
      const event = {
        request,
        url: new URL(request.url),
        locals: {} as { session?: Session },
        getClientAddress: () => '127.0.0.1',
      }
      return handle({ event, resolve: (e) => handler(e.request, e.locals.session as Session) })
    }
  },
}

describe.each(Object.keys(INTEGRATIONS))('%s', (name) => {
  it('refuses a 512 MiB streamed form with no Origin and no token, pulling the bound and two chunks', async () => {
    const run = INTEGRATIONS[name]!()
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
    const run = INTEGRATIONS[name]!()
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
