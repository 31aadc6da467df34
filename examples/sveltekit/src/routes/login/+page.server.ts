// Sign in: a form action that verifies the password, logs the session in and redirects (the cookie rides on the redirect).
import { fail, redirect } from '@sveltejs/kit'
import { verify } from '#lib/server/users'
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
    const next = url.searchParams.get('next')
    redirect(303, next?.startsWith('/') && !next.startsWith('//') ? next : '/account')
  },
} satisfies Actions
