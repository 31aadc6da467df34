// An admin-only API: 401 for anonymous callers, 403 for signed-in non-admins.
import { requireRole } from 'hallpass/guards'
import { guard, sessions, withSession } from '@/lib/session'

export const GET = withSession(
  guard(requireRole('admin'), async (_request, session) => {
    const devices = await sessions.listSessions(session.userId!)
    return Response.json({ devices: devices.length })
  }),
)
