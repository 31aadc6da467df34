// Sign in: a form action that verifies the password (through the login throttle), logs the session in and redirects.
import { fail, redirect } from '@sveltejs/kit'
import { safeRedirectPath } from 'hallpass'
import { loginThrottle } from '#lib/server/sessions.ts'
import { testHook } from '#lib/server/test-hooks.ts'
import { verify, verifyNothing } from '#lib/server/users.ts'
import type { Actions, PageServerLoad } from './$types'

export const load: PageServerLoad = ({ locals }) => {
  if (locals.session.isAuthenticated) redirect(303, '/account')
}

export const actions = {
  default: async ({ request, locals, url, setHeaders }) => {
    const form = await request.formData()
    const email = String(form.get('email') ?? '')
    const password = String(form.get('password') ?? '')
    // The guess is counted before the password is checked, so a locked account or IP checks nothing.
    const result = await loginThrottle.attempt({ account: email, ip: locals.session.ip }, () =>
      verify(email, password),
    )
    if (!result.ok) {
      // A locked account gets the answer and the work of a wrong password (docs/security.md, login throttling).
      if (result.reason === 'locked') verifyNothing(password)
      if (result.reason === 'invalid' || result.reason === 'locked') {
        return fail(400, { error: 'Wrong email or password.' })
      }
      if (result.reason === 'unavailable') {
        return fail(503, { error: 'Signing in is unavailable right now; try again shortly.' })
      }
      setHeaders({ 'retry-after': String(result.retryAfter) })
      return fail(429, {
        error: `Too many attempts from your network; try again in ${result.retryAfter} seconds.`,
      })
    }
    const user = result.value
    await locals.session.login(user.id, {
      rememberMe: form.get('remember') === 'on',
      roles: user.roles,
    })
    if (testHook('throw-after-login'))
      throw new Error('test hook: the sign-in failed after login()')
    // `next` comes from the query string: only a path on this site, parsed the way the browser will read it.
    redirect(303, safeRedirectPath(url.searchParams.get('next'), '/account'))
  },
} satisfies Actions
