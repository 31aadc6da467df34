// The session status endpoint of docs/client.md, for hallpass/client.
import { json } from '@sveltejs/kit'
import { findUser } from '#lib/server/users.ts'
import type { RequestHandler } from './$types'

export const GET: RequestHandler = ({ locals: { session } }) => {
  const user = findUser(session.userId)
  if (!user) return json({ authenticated: false }, { headers: { 'cache-control': 'no-store' } })
  return json(
    {
      authenticated: true,
      user: { id: user.id, email: user.email, name: user.name },
      session: {
        id: session.id,
        createdAt: session.createdAt,
        expiresAt: session.expiresAt,
        idleExpiresAt: session.idleExpiresAt,
      },
    },
    { headers: { 'cache-control': 'no-store' } },
  )
}

export const POST: RequestHandler = async ({ locals: { session } }) => {
  // A JSON endpoint that changes state: hallpass's CSRF check guards it (SvelteKit's origin check covers forms only).
  session.set('theme', session.get('theme') === 'dark' ? 'light' : 'dark')
  return json({ theme: session.get('theme') })
}
