// The session status endpoint of hallpass/client (docs/client.md).
import { createFileRoute } from '@tanstack/react-router'
import { getSession } from '../../../lib/session.server'
import { findUser } from '../../../lib/users.server'

export const Route = createFileRoute('/api/auth/session')({
  server: {
    handlers: {
      GET: async () => {
        const session = getSession()
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
      },
    },
  },
})
