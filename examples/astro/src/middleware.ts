// Every on-demand request gets Astro.locals.session; CSRF is checked and the session committed by hallpass.
import { sessionMiddleware } from 'hallpass/astro'
import { sessions } from './lib/sessions'
import { testIntegrationOptions } from './lib/test-hooks'

// testIntegrationOptions(): a test hook, inert outside hallpass's own tests.
export const onRequest = sessionMiddleware(sessions, testIntegrationOptions())
