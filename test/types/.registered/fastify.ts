// Compile-only: once the manager is registered, zod-typed data flows into Fastify's request.session.
import Fastify from 'fastify'
import { createSessions } from 'hallpass'
import { guard, session } from 'hallpass/fastify'
import { requirePermission } from 'hallpass/guards'
import { expectTypeOf } from 'vitest'
import { z } from 'zod'

const schema = z.object({ userId: z.string(), visits: z.number().int() }).partial()
const sessions = createSessions({ secret: 'x'.repeat(40), schema })

declare module 'hallpass/fastify' {
  interface Register {
    sessions: typeof sessions
  }
}

const app = Fastify()
await app.register(session(sessions))
app.get('/visits', { onRequest: guard(requirePermission('stats:read')) }, async (request) => {
  expectTypeOf(request.session.get('visits')).toEqualTypeOf<number | undefined>()
  request.session.set('visits', (request.session.get('visits') ?? 0) + 1)
  // @ts-expect-error visits is a number in the schema
  request.session.set('visits', 'many')
  // @ts-expect-error no such key in the schema
  request.session.get('cart')
  return { visits: request.session.data.visits ?? 0 }
})
app.get<{ Params: { id: string } }>(
  '/items/:id',
  { preHandler: guard(requirePermission('items:read')) },
  async (request) => {
    expectTypeOf(request.params.id).toEqualTypeOf<string>()
    expectTypeOf(request.session.userId).toEqualTypeOf<string | null>()
  },
)
