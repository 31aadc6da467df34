// Hono on Bun with hallpass: sign in with a form, see the session, sign out. Run: bun server.ts
import { Hono } from 'hono'
import { createSessions } from 'hallpass'
import { honoClientIp } from 'hallpass/bun'
import { session, type SessionEnv } from 'hallpass/hono'
import { checkPassword, page } from './users.ts'

declare const Bun: {
  env: Record<string, string | undefined>
  serve(options: { port: number; hostname: string; fetch: unknown }): { url: URL }
}

const secret = Bun.env.SESSION_SECRET
if (!secret) throw new Error('Set SESSION_SECRET (generate one with `npx hallpass secret`)')

// Memory store: one process. Give it `store: redisStore({ client })` from hallpass/stores/redis for several.
const sessions = createSessions<{ visits: number }>({
  secret,
  cookie: { secure: Bun.env.PLAIN_HTTP !== '1' }, // the tests serve plain HTTP on 127.0.0.1
})

const app = new Hono<SessionEnv<{ visits: number }>>()
app.use(session(sessions, { getIp: honoClientIp })) // the client address, from Bun's server.requestIP

app.get('/', (c) => {
  const s = c.get('session')
  if (s.userId) s.set('visits', (s.get('visits') ?? 0) + 1)
  return c.html(page(s.userId, s.get('visits') ?? 0, c.get('csrfToken')()))
})

app.post('/login', async (c) => {
  const form = await c.req.formData()
  const user = checkPassword(String(form.get('user')), String(form.get('password')))
  if (!user) return c.text('Wrong name or password', 401)
  await c.get('session').login(user) // a new session id: no fixation
  return c.redirect('/', 303)
})

app.post('/logout', async (c) => {
  await c.get('session').logout()
  return c.redirect('/', 303)
})

const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 3000),
  hostname: '127.0.0.1',
  fetch: app.fetch, // Bun passes the server as the second argument; Hono hands it on as c.env
})
console.log(`Listening on ${server.url.href}`)
