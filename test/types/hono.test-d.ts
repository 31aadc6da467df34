// Compile-only: zod-typed data flows into Hono's c.get('session') through Variables, with no global registration.
import { Hono } from 'hono'
import { expectTypeOf } from 'vitest'
import { z } from 'zod'
import { createSessions, type Session } from 'hallpass'
import { guard, session, type SessionEnv } from 'hallpass/hono'
import { requireRole } from 'hallpass/guards'

const Item = z.object({ sku: z.string(), qty: z.number().int() })
const schema = z.object({ userId: z.string(), cart: z.array(Item) }).partial()
type Data = z.infer<typeof schema>
const sessions = createSessions({ secret: 'x'.repeat(40), schema })

// Chained: the middleware's Variables flow into every later handler.
const app = new Hono().use(session(sessions))
app.get('/cart', guard(requireRole('shopper')), (c) => {
  expectTypeOf(c.get('session')).toEqualTypeOf<Session<Data>>()
  expectTypeOf(c.get('session').get('cart')).toEqualTypeOf<
    { sku: string; qty: number }[] | undefined
  >()
  expectTypeOf(c.var.session.data.userId).toEqualTypeOf<string | undefined>()
  c.get('session').set('cart', [{ sku: 'a', qty: 1 }])
  // @ts-expect-error qty is a number in the schema
  c.get('session').set('cart', [{ sku: 'a', qty: 'one' }])
  // @ts-expect-error no such key in the schema
  c.get('session').get('role')
  return c.json({ n: c.get('session').get('cart')?.length ?? 0 })
})

// Declared: the environment type names the data explicitly.
const typed = new Hono<SessionEnv<Data>>()
typed.use(session(sessions))
typed.post('/login', async (c) => {
  await c.get('session').login('user-1', { roles: ['shopper'] })
  expectTypeOf(c.get('session').userId).toEqualTypeOf<string | null>()
  return c.body(null, 204)
})

// Without the middleware there is no session variable to read.
new Hono().get('/', (c) => {
  // @ts-expect-error 'session' is not a Variable of a plain Hono app
  const missing: Session = c.get('session')
  return c.json({ missing: missing.id })
})
