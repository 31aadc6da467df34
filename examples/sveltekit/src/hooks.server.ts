// Every request gets event.locals.session; CSRF is checked and the session committed by hallpass.
import { handleSession, sessionErrors } from 'hallpass/sveltekit'
import { sessions } from '#lib/server/sessions.ts'

export const handle = handleSession(sessions)
// A store outage in a load or an action becomes a 503 and a lost session a 409, not SvelteKit's 500.
export const handleError = sessionErrors()
