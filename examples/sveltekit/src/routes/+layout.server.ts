// Every page learns who is signed in, and the CSRF token its forms carry.
import { csrfToken } from 'hallpass/csrf'
import { findUser } from '#lib/server/users.ts'
import type { LayoutServerLoad } from './$types'

export const load: LayoutServerLoad = ({ locals }) => {
  const user = findUser(locals.session.userId)
  return {
    user: user ? { name: user.name, email: user.email } : null,
    csrf: csrfToken(locals.session),
  }
}
