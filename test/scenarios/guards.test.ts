// Guard scenarios on every adapter: 401/403/200, wildcard grants, path tricks and HEAD, and role changes that apply at once.
import { expect, it } from 'vitest'
import { rawHttp, rawRequest } from './harness/client.ts'
import { ALL_DOORS, describeMatrix } from './harness/matrix.ts'

const TRICKS = [
  '/ADMIN',
  '/Admin',
  '//admin',
  '/%61dmin',
  '/%2561dmin',
  '/admin;x',
  '/admin;/',
  '/admin/',
  '/admin%2f',
  '/admin%00',
  '/./admin',
  '/x/../admin',
  '/admin?x=1',
  '/admin#x',
  'http://127.0.0.1/admin',
]

describeMatrix(
  'guards',
  (s) => {
    it('answers 401 to anonymous requests and 403 to users without the role', async () => {
      const anonymous = await s.browser.get('/admin')
      expect(anonymous.status).toBe(401)
      expect(anonymous.json.error.code).toBe('UNAUTHENTICATED')
      await s.browser.post('/login?user=bob&roles=editor')
      const user = await s.browser.get('/admin')
      expect(user.status).toBe(403)
      expect(user.json.error.code).toBe('FORBIDDEN')
      expect(user.text).not.toContain('admin-secret')
    })

    it('lets a user with the role through', async () => {
      await s.browser.post('/login?user=ada&roles=editor,admin')
      const admin = await s.browser.get('/admin')
      expect(admin.status).toBe(200)
      expect(admin.json.secret).toBe('admin-secret')
    })

    it('matches wildcard permissions, and only whole segments', async () => {
      await s.browser.post('/login?user=rita&permissions=reports:*')
      expect((await s.browser.get('/reports')).status).toBe(200)
      const other = s.newBrowser()
      await other.post('/login?user=rob&permissions=report*,reports,reports:write,Reports:read')
      expect((await other.get('/reports')).status).toBe(403)
    })

    it('guards HEAD like GET', async () => {
      expect((await s.browser.request('HEAD', '/admin')).status).toBe(401)
      await s.browser.post('/login?user=bob')
      expect((await s.browser.request('HEAD', '/admin')).status).toBe(403)
    })

    it('cannot be bypassed by spelling the path differently (sent byte for byte)', async () => {
      const user = s.newBrowser()
      await user.post('/login?user=bob&roles=editor')
      for (const path of TRICKS) {
        for (const [cookie, expected] of [
          [undefined, 401],
          [user.cookie, 403],
        ] as const) {
          for (const method of ['GET', 'HEAD']) {
            const reply = await rawRequest(
              s.app.url,
              rawHttp(method, path, cookie ? { cookie } : {}),
            )
            expect
              .soft([expected, 404], `${method} ${path} ${cookie ? 'user' : 'anonymous'}`)
              .toContain(reply.status)
            expect.soft(reply.text, `${method} ${path}`).not.toContain('secret')
          }
        }
      }
    })

    it('applies a role change on the next request when privileges come from the user store', async () => {
      s.world.users.set('carol', { roles: ['admin'], permissions: [] })
      await s.browser.post('/login?user=carol')
      expect((await s.browser.get('/live-admin')).status).toBe(200)
      s.world.users.set('carol', { roles: ['editor'], permissions: [] })
      expect((await s.browser.get('/live-admin')).status).toBe(403)
      s.world.users.delete('carol')
      expect((await s.browser.get('/live-admin')).status).toBe(403)
      expect((await s.newBrowser().get('/live-admin')).status).toBe(401)
    })

    it('ignores roles the client tries to send', async () => {
      await s.browser.post('/login?user=mallory')
      const sneaky = await s.browser.request('GET', '/admin?roles=admin&role=admin')
      expect(sneaky.status).toBe(403)
    })
  },
  // Not tanstack-fn or next-action: a server function or action has no route and answers with data, not a 401/403;
  // their guards are the same predicates, answered by the app (login-work and example tests).
  'store',
  ALL_DOORS.filter((door) => door !== 'tanstack-fn' && door !== 'next-action'),
)
