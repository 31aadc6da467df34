// Sign out: ends the session in the store and clears the cookie.
import { redirect } from '@sveltejs/kit'
import type { Actions } from './$types'

export const actions = {
  default: async ({ locals }) => {
    await locals.session.logout()
    redirect(303, '/')
  },
} satisfies Actions
