// Sign in: a form action that verifies the password, logs the session in and redirects (the cookie rides on the redirect).
import { fail, redirect } from '@sveltejs/kit'
import { safeRedirectPath } from 'hallpass'
import { verify } from '#lib/server/users.ts'
import type { Actions, PageServerLoad } from './$types'

export const load: PageServerLoad = ({ locals }) => {
  if (locals.session.isAuthenticated) redirect(303, '/account')
}

export const actions = {
  default: async ({ request, locals, url }) => {
    const form = await request.formData()
    const email = String(form.get('email') ?? '')
    const user = verify(email, String(form.get('password') ?? ''))
    if (!user) return fail(400, { error: 'Wrong email or password.' })
    await locals.session.login(user.id, { rememberMe: form.get('remember') === 'on', roles: user.roles })
    // `next` comes from the query string: only a path on this site, parsed the way the browser will read it.
    redirect(303, safeRedirectPath(url.searchParams.get('next'), '/account'))
  },
} satisfies Actions
