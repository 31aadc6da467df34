// A Hono app on Cloudflare Workers with hallpass sessions in a Durable Object: sign in, see the session, sign out.
import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { html } from 'hono/html'
import { createSessions } from 'hallpass'
import { session, type SessionEnv } from 'hallpass/hono'
import { durableObjectStore, type DurableNamespace } from 'hallpass/stores/durable-object'
import { honoClientIp } from 'hallpass/workers'

// The Durable Object class the SESSIONS binding names (wrangler.jsonc): the Worker must export it.
export { HallpassSessions } from 'hallpass/stores/durable-object'

const bindings = env as unknown as { SESSIONS: DurableNamespace; SESSION_SECRET: string }

// At module scope, once per isolate: nothing here starts a timer or does I/O.
const sessions = createSessions({
  secret: bindings.SESSION_SECRET,
  store: durableObjectStore(bindings.SESSIONS),
  idleTimeout: '30m',
  absoluteTimeout: '12h',
})

const app = new Hono<SessionEnv>()
// Deployed, every request comes through Cloudflare, which sets CF-Connecting-IP: the device list and
// the login throttle get the client's address. Where clients can reach workerd directly, pass false
// (docs/runtimes/workers.md).
app.use(session(sessions, { getIp: honoClientIp({ trustCloudflare: true }) }))

app.get('/', (c) => {
  const current = c.get('session')
  const body = current.userId
    ? html`<p id="status">
          Signed in as <b>${current.userId}</b> since
          ${new Date(current.createdAt ?? 0).toISOString()}
        </p>
        <form method="post" action="/logout"><button id="sign-out">Sign out</button></form>`
    : html`<p id="status">Not signed in.</p>
        <form method="post" action="/login">
          <input id="user" name="user" required maxlength="64" autocomplete="username" />
          <button id="sign-in">Sign in</button>
        </form>`
  return c.html(
    html`<!doctype html>
      <title>hallpass on Workers</title>
      ${body}`,
  )
})

app.post('/login', async (c) => {
  const form = await c.req.parseBody()
  const user = typeof form.user === 'string' ? form.user.trim() : ''
  if (!user) return c.text('a user name is required', 400)
  // A real app checks a password or a passkey here.
  await c.get('session').login(user)
  return c.redirect('/', 303)
})

app.post('/logout', async (c) => {
  await c.get('session').logout()
  return c.redirect('/', 303)
})

export default app
