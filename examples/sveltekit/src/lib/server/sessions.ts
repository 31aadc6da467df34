// The session manager, created once per server process (server-only: #lib/server is never bundled for the browser).
import { building } from '$app/env'
import { createSessions } from 'hallpass'

export type Data = {
  theme: 'light' | 'dark'
}

// SvelteKit runs the app once while building to analyse its routes: no secret is needed then.
const secret = building ? 'build-time-analysis-only-never-used-for-requests' : process.env.SESSION_SECRET
if (!secret) throw new Error('Set SESSION_SECRET (generate one with `npx hallpass secret`)')

export const sessions = createSessions<Data>({
  secret,
  cookie: { secure: process.env.COOKIE_SECURE !== 'false' },
  idleTimeout: '30m',
  absoluteTimeout: '12h',
  rememberMeTimeout: '30d',
})
