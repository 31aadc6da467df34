'use server'
import { redirect } from 'next/navigation'
import { revalidatePath } from 'next/cache'
import { sessionAction, sessions } from '@/lib/session'

export const signOut = sessionAction(async (session) => {
  await session.logout()
  redirect('/login')
})

export const revokeDevice = sessionAction(async (session, form: FormData) => {
  if (!session.userId) redirect('/login')
  await sessions.revokeSession(session.userId, String(form.get('id') ?? ''))
  revalidatePath('/account')
})
