// Small example server (until the reference app lands): a login form, a session page and logout, on the memory store.
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import { createSessions } from 'hallpass'
import { withSession, type NodeReply } from 'hallpass/node'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const secret = process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url')
if (!process.env.SESSION_SECRET) console.warn('SESSION_SECRET is not set: using a random one, so sessions end when the server stops.')

const USERS = new Map([['demo@example.com', { id: 'u1', name: 'Demo User', password: 'demo-password-123' }]])
const sessions = createSessions({
  secret,
  idleTimeout: '30m',
  absoluteTimeout: '24h',
  cookie: { secure: process.env.NODE_ENV === 'production' },
  onEvent: (event) => console.log(JSON.stringify(event)),
})

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const page = (title: string, body: string): NodeReply => ({
  headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'" },
  body: `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:system-ui;max-width:40rem;margin:3rem auto">${body}</body>`,
})
const redirect = (location: string): NodeReply => ({ status: 303, headers: { location } })

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > 16_384) break
  }
  return new URLSearchParams(body)
}

const server = createServer(
  withSession(sessions, async (req, session) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (req.method === 'POST' && path === '/login') {
      const form = await readForm(req)
      const user = USERS.get(form.get('email') ?? '')
      if (!user || user.password !== form.get('password')) return page('Login', '<p>Wrong email or password.</p><a href="/login">Try again</a>')
      await session.login(user.id, { rememberMe: form.get('rememberMe') === 'on' })
      session.set('name', user.name)
      return redirect('/')
    }
    if (req.method === 'POST' && path === '/logout') {
      await session.logout()
      return redirect('/login')
    }
    if (path === '/login') {
      return page('Login', `<h1>Sign in</h1><form method="post" action="/login">
        <p><label>Email <input name="email" value="demo@example.com"></label></p>
        <p><label>Password <input name="password" type="password"></label> (demo-password-123)</p>
        <p><label><input type="checkbox" name="rememberMe"> Remember me for 30 days</label></p>
        <button>Sign in</button></form>`)
    }
    if (path === '/') {
      if (!session.isAuthenticated) return redirect('/login')
      session.set('visits', ((session.get('visits') as number | undefined) ?? 0) + 1)
      return page('Session', `<h1>Hello, ${escape(String(session.get('name')))}</h1>
        <p>Session id (public, not the token): <code>${session.id}</code></p>
        <p>Visits: ${session.get('visits')} · Persistent: ${session.persistent} · Idle expiry: ${new Date(session.idleExpiresAt ?? 0).toISOString()}</p>
        <form method="post" action="/logout"><button>Log out</button></form>`)
    }
    return { status: 404, body: 'Not found' }
  }),
)
server.listen(port, host, () => {
  console.log(`hallpass example running at http://${host === '127.0.0.1' ? 'localhost' : host}:${port}`)
  console.log('Sign in with demo@example.com / demo-password-123')
})
