// Admins only: anonymous visitors are sent to sign in, other users get a 403.
import { error, redirect } from '@sveltejs/kit'
import { requireRole } from 'hallpass/guards'
import type { PageServerLoad } from './$types'

const admins = requireRole('admin')

export const load: PageServerLoad = async ({ locals, url }) => {
  const outcome = await admins(locals.session)
  if (outcome === 'unauthenticated')
    redirect(303, `/login?next=${encodeURIComponent(url.pathname)}`)
  if (outcome === 'forbidden') error(403, 'Admins only.')
}
