// The session status endpoint of docs/client.md, for hallpass/client.
import type { APIRoute } from 'astro'
import { findUser } from '../../../lib/users'

const noStore = { 'cache-control': 'no-store' }

export const GET: APIRoute = ({ locals: { session } }) => {
  const user = findUser(session.userId)
  if (!user) return Response.json({ authenticated: false }, { headers: noStore })
  return Response.json(
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
    { headers: noStore },
  )
}
