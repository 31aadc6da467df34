// The four framework integrations' entry points as fetch functions around one app handler, called without a framework.
import { vi } from 'vitest'
import type { Sessions } from '../../src/core/manager.ts'
import type { Session } from '../../src/core/session.ts'
import { sessionMiddleware } from '../../src/integrations/astro.ts'
import { nextSessions } from '../../src/integrations/next.ts'
import { handleSession, sessionErrors } from '../../src/integrations/sveltekit.ts'
import { tanstackSessions } from '../../src/integrations/tanstack-start.ts'

// `server-only` only throws when imported outside a React Server bundle; the calls here need no bundle.
vi.mock('server-only', () => ({}))
vi.mock('@tanstack/react-start/server-only', () => ({}))

export type Handler = (request: Request, session: Session) => Promise<Response>
export type Fetch = (request: Request) => Promise<Response>

/** SvelteKit answers an error its hooks let through with its own 500 after calling `handleError`, as here. */
function svelteResolve(handler: Handler, request: Request, locals: { session?: Session }) {
  const handleError = sessionErrors()
  return async (event: {
    request: Request
    url: URL
    locals: object
    getClientAddress(): string
  }) => {
    try {
      return await handler(request, locals.session!)
    } catch (error) {
      handleError({ error, event })
      return new Response('Internal Error', { status: 500 })
    }
  }
}

/** Each integration, as an app would install it, turning `handler` into a fetch function. */
export const doors: Record<string, (sessions: Sessions, handler: Handler) => Fetch> = {
  astro: (sessions, handler) => {
    const middleware = sessionMiddleware(sessions, { onError: () => {} })
    return (request) => {
      const locals: { session?: Session } = {}
      const url = new URL(request.url)
      const redirect = (path: string) => Response.redirect(new URL(path, url), 302)
      const context = {
        request,
        url,
        locals,
        clientAddress: '127.0.0.1',
        isPrerendered: false,
        redirect,
      }
      return middleware(context, () => handler(request, locals.session!))
    }
  },
  sveltekit: (sessions, handler) => {
    const handle = handleSession(sessions, { onError: () => {} })
    return (request) => {
      const locals: { session?: Session } = {}
      const event = {
        request,
        url: new URL(request.url),
        locals,
        getClientAddress: () => '127.0.0.1',
      }
      return handle({ event, resolve: svelteResolve(handler, request, locals) })
    }
  },
  'tanstack-start': (sessions, handler) => {
    const { sessionHandler } = tanstackSessions(sessions, { onError: () => {} })
    return async (request) => {
      const result = await sessionHandler({
        request,
        next: async ({ context }) => ({ response: await handler(request, context.session) }),
      })
      return result instanceof Response ? result : result.response
    }
  },
  'next route handlers': (sessions, handler) => {
    const route = nextSessions(sessions, { onError: () => {} }).withSession(handler)
    return (request) => route(request, {})
  },
}
