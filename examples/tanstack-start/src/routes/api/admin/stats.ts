// An admin-only API: 401 for anonymous callers, 403 for signed-in non-admins.
import { createFileRoute } from '@tanstack/react-router'
import { requireRole } from 'hallpass/guards'
import { getSession, sessions } from '../../../lib/session.server'

const adminsOnly = requireRole('admin')

export const Route = createFileRoute('/api/admin/stats')({
  server: {
    handlers: {
      GET: async () => {
        const session = getSession()
        const outcome = await adminsOnly(session)
        if (outcome === 'unauthenticated')
          return Response.json(
            { error: { code: 'UNAUTHENTICATED', message: 'Sign in to continue.' } },
            { status: 401 },
          )
        if (outcome === 'forbidden')
          return Response.json(
            { error: { code: 'FORBIDDEN', message: 'You do not have access to this resource.' } },
            { status: 403 },
          )
        return Response.json({ devices: (await sessions.listSessions(session.userId!)).length })
      },
    },
  },
})
