// The session manager, created once per server process (server-only: #lib/server is never bundled for the browser).
import { building } from '$app/env'
import { createSessions } from 'hallpass'
import { memoryStore } from 'hallpass/stores/memory'
import { createLoginThrottle } from 'hallpass/throttle'
import { testSessionOptions } from './test-hooks'

export type Data = {
  theme: 'light' | 'dark'
}

// SvelteKit runs the app once while building to analyse its routes: no secret is needed then.
const secret = building
  ? 'build-time-analysis-only-never-used-for-requests'
  : process.env.SESSION_SECRET
if (!secret) throw new Error('Set SESSION_SECRET (generate one with `npx hallpass secret`)')

export const sessions = createSessions<Data>({
  secret,
  // Served over HTTPS in production; the example's tests run it over plain HTTP on 127.0.0.1.
  cookie: { secure: process.env.PLAIN_HTTP !== '1' },
  idleTimeout: '30m',
  absoluteTimeout: '12h',
  rememberMeTimeout: '30d',
  // Test hooks (src/lib/server/test-hooks): inert outside hallpass's own tests.
  ...testSessionOptions(() => memoryStore()),
})

/**
 * Counts wrong passwords per account and per IP before checking them (5 per account, 50 per IP in 15 minutes,
 * then a lockout). In memory: give it `{ redis }` when several processes serve the app.
 */
export const loginThrottle = createLoginThrottle(sessions)
