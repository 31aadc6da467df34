// Compile-only: once the manager is registered, zod-typed data flows into Express's req.session.
import express from 'express'
import { createSessions } from 'hallpass'
import { guard, session } from 'hallpass/express'
import { requireRole } from 'hallpass/guards'
import { expectTypeOf } from 'vitest'
import { z } from 'zod'

const Item = z.object({ sku: z.string(), qty: z.number().int() })
const schema = z
  .object({ userId: z.string(), cart: z.array(Item), theme: z.enum(['light', 'dark']) })
  .partial()
const sessions = createSessions({ secret: 'x'.repeat(40), schema })

declare module 'hallpass/express' {
  interface Register {
    sessions: typeof sessions
  }
}

const app = express()
app.use(session(sessions))
app.get('/cart', guard(requireRole('shopper')), (req, res) => {
  expectTypeOf(req.session.get('cart')).toEqualTypeOf<{ sku: string; qty: number }[] | undefined>()
  expectTypeOf(req.session.data.theme).toEqualTypeOf<'light' | 'dark' | undefined>()
  req.session.set('theme', 'dark')
  req.session.set('cart', [{ sku: 'a-1', qty: 2 }])
  // @ts-expect-error qty is a number in the schema
  req.session.set('cart', [{ sku: 'a-1', qty: '2' }])
  // @ts-expect-error 'blue' is not a theme
  req.session.set('theme', 'blue')
  // @ts-expect-error no such key in the schema
  req.session.get('role')
  res.json({ items: req.session.get('cart')?.length ?? 0 })
})
app.post('/theme', async (req, res) => {
  await req.session.update((draft) => {
    draft.theme = 'light'
    // @ts-expect-error update() drafts are typed too
    draft.cart = 'none'
  })
  res.end()
})
