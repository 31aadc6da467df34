// Every on-demand request gets Astro.locals.session; CSRF is checked and the session committed by hallpass.
import { sessionMiddleware } from 'hallpass/astro'
import { sessions } from './lib/sessions'

export const onRequest = sessionMiddleware(sessions)
