'use server'
import { redirect } from 'next/navigation'
import { sessionAction } from '@/lib/session'
import { verifyPassword } from '@/lib/users'

/** Only same-site paths: `next` comes from the query string. */
function safeNext(value: FormDataEntryValue | null): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : '/account'
}

export const signIn = sessionAction(async (session, form: FormData) => {
  const user = verifyPassword(String(form.get('email') ?? ''), String(form.get('password') ?? ''))
  if (!user) redirect('/login?error=1')
  await session.login(user.id, { rememberMe: form.get('remember') === 'on', roles: [user.role] })
  redirect(safeNext(form.get('next')))
})
