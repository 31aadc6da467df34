// The session status endpoint of hallpass/client (docs/client.md).
import { withSession } from '@/lib/session'
import { findUser } from '@/lib/users'

export const GET = withSession(async (_request, session) => {
  const user = session.userId ? findUser(session.userId) : undefined
  const body = user
    ? {
        authenticated: true,
        user,
        session: {
          id: session.id,
          createdAt: session.createdAt,
          expiresAt: session.expiresAt,
          idleExpiresAt: session.idleExpiresAt,
        },
      }
    : { authenticated: false }
  return Response.json(body, { headers: { 'cache-control': 'no-store' } })
})
