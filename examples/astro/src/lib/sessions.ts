// The session manager, created once per server process. Import it only from server code (middleware, frontmatter, endpoints).
import { createSessions } from 'hallpass'

export type Data = {
  theme: 'light' | 'dark'
  visits: number
}

const secret = process.env.SESSION_SECRET
if (!secret) throw new Error('Set SESSION_SECRET (generate one with `npx hallpass secret`)')

export const sessions = createSessions<Data>({
  secret,
  cookie: { secure: process.env.COOKIE_SECURE !== 'false' },
  idleTimeout: '30m',
  absoluteTimeout: '12h',
  rememberMeTimeout: '30d',
})
