'use server'
import { safeRedirectPath } from 'hallpass'
import { redirect } from 'next/navigation'
import { sessionAction } from '@/lib/session'
import { testHook } from '@/lib/test-hooks'
import { verifyPassword } from '@/lib/users'

export const signIn = sessionAction(async (session, form: FormData) => {
  const user = verifyPassword(String(form.get('email') ?? ''), String(form.get('password') ?? ''))
  if (!user) redirect('/login?error=1')
  await session.login(user.id, { rememberMe: form.get('remember') === 'on', roles: [user.role] })
  if (testHook('throw-after-login')) throw new Error('test hook: the sign-in failed after login()')
  // `next` comes from the query string: only a path on this site, parsed the way the browser will read it.
  redirect(safeRedirectPath(form.get('next'), '/account'))
})
