// Only for signed-in users: the account and its devices, each of which can be revoked.
import { error, redirect } from '@sveltejs/kit'
import { requireAuth } from 'hallpass/guards'
import { sessions } from '#lib/server/sessions.ts'
import type { Actions, PageServerLoad } from './$types'

const signedIn = requireAuth()

export const load: PageServerLoad = async ({ locals, url }) => {
  if ((await signedIn(locals.session)) !== 'allow')
    redirect(303, `/login?next=${encodeURIComponent(url.pathname)}`)
  const userId = locals.session.userId as string
  const devices = await sessions.listSessions(userId)
  return {
    persistent: locals.session.persistent,
    devices: devices.map((d) => ({
      id: d.id,
      device: d.device,
      lastSeenAt: d.lastSeenAt,
      current: d.id === locals.session.id,
    })),
  }
}

export const actions = {
  revoke: async ({ locals, request }) => {
    if (!locals.session.isAuthenticated) error(401, 'Sign in to continue.')
    const id = String((await request.formData()).get('id') ?? '')
    await sessions.revokeSession(locals.session.userId as string, id)
  },
} satisfies Actions
