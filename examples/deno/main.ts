// Deno.serve with hallpass/fetch: sign in with a form, see the session, sign out. Run: deno run --allow-net --allow-env main.ts
import { createSessions } from 'hallpass'
import { csrfToken } from 'hallpass/csrf'
import { clientIp } from 'hallpass/deno'
import { withSession } from 'hallpass/fetch'
import { checkPassword, page } from './users.ts'

declare const Deno: {
  env: { get(name: string): string | undefined }
  serve(
    options: { port: number; hostname: string; onListen(addr: { port: number }): void },
    handler: (request: Request, info: unknown) => Promise<Response>,
  ): unknown
}

const secret = Deno.env.get('SESSION_SECRET')
if (!secret) throw new Error('Set SESSION_SECRET (generate one with `npx hallpass secret`)')

// Memory store: one process. Give it `store: redisStore({ client })` from hallpass/stores/redis for several.
const sessions = createSessions<{ visits: number }>({
  secret,
  cookie: { secure: Deno.env.get('PLAIN_HTTP') !== '1' }, // the tests serve plain HTTP on 127.0.0.1
})

const redirectHome = () => new Response(null, { status: 303, headers: { location: '/' } })

const app = withSession(
  sessions,
  async (request, session) => {
    const { pathname } = new URL(request.url)
    if (request.method === 'GET' && pathname === '/') {
      if (session.userId) session.set('visits', (session.get('visits') ?? 0) + 1)
      const html = page(session.userId, session.get('visits') ?? 0, csrfToken(session))
      return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } })
    }
    if (request.method === 'POST' && pathname === '/login') {
      const form = await request.formData()
      const user = checkPassword(String(form.get('user')), String(form.get('password')))
      if (!user) return new Response('Wrong name or password', { status: 401 })
      await session.login(user) // a new session id: no fixation
      return redirectHome()
    }
    if (request.method === 'POST' && pathname === '/logout') {
      await session.logout()
      return redirectHome()
    }
    return new Response('Not found', { status: 404 })
  },
  { getIp: clientIp }, // the client address, from the info Deno.serve passes as the second argument
)

Deno.serve(
  {
    port: Number(Deno.env.get('PORT') ?? 8000),
    hostname: '127.0.0.1',
    onListen: ({ port }) => console.log(`Listening on http://127.0.0.1:${port}/`),
  },
  app,
)
