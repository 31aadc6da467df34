// Sign out: ends the session in the store and clears the cookie.
import type { APIRoute } from 'astro'

export const POST: APIRoute = async ({ locals, redirect }) => {
  await locals.session.logout()
  return redirect('/', 303)
}
