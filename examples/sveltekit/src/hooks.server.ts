// Every request gets event.locals.session; CSRF is checked and the session committed by hallpass.
import { handleSession } from 'hallpass/sveltekit'
import { sessions } from '#lib/server/sessions.ts'

export const handle = handleSession(sessions)
