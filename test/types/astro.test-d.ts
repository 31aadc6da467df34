// Compile-only: hallpass/astro fits Astro's own types (MiddlewareHandler, APIRoute) and App.Locals carries the typed session.
import type { APIContext, APIRoute, MiddlewareHandler } from 'astro'
import { expectTypeOf } from 'vitest'
import { createSessions, type Session } from 'hallpass'
import { guard, guardPage, sessionMiddleware, type SessionLocals } from 'hallpass/astro'
import { requireRole } from 'hallpass/guards'

type Data = {
  theme: 'light' | 'dark'
}

declare global {
  namespace App {
    interface Locals extends SessionLocals<Data> {}
  }
}

const sessions = createSessions<Data>({ secret: 'x'.repeat(40) })

export const onRequest: MiddlewareHandler = sessionMiddleware(sessions)

export const GET: APIRoute = guard(requireRole('admin'), ({ locals }) => {
  expectTypeOf(locals.session).toEqualTypeOf<Session<Data>>()
  expectTypeOf(locals.session.get('theme')).toEqualTypeOf<'light' | 'dark' | undefined>()
  // @ts-expect-error not a theme
  locals.session.set('theme', 'blue')
  return Response.json({ ok: true })
})

export async function frontmatter(Astro: APIContext): Promise<Response | undefined> {
  return guardPage(Astro, requireRole('admin'), { loginPath: '/signin' })
}
