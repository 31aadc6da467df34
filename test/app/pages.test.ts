// The server-rendered pages and their forms, as a browser without JavaScript uses them (the _csrf field, 303 redirects).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent, startApp, type AppUnderTest } from './harness.ts'

/** A browser without JavaScript: reads the page, then posts its forms with the page's _csrf field. */
class FormBrowser extends Agent {
  lastToken = ''

  async page(path: string): Promise<{ status: number; html: string; location: string | null }> {
    const res = await this.send('GET', path)
    const html = await res.text()
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1]
    if (token) this.lastToken = token
    return { status: res.status, html, location: res.headers.get('location') }
  }

  async submit(path: string, fields: Record<string, string> = {}): Promise<Response> {
    return this.send('POST', path, { form: { _csrf: this.lastToken, ...fields }, csrf: false })
  }

  async signIn(email: string, password: string, rememberMe = false): Promise<Response> {
    await this.page('/login')
    return this.submit('/login', { email, password, ...(rememberMe && { rememberMe: 'on' }) })
  }
}

/** Every POST form on the page carries a non-empty _csrf field. */
function expectCsrfOnEveryForm(html: string): void {
  const forms = html.match(/<form[^>]*method="post"[\s\S]*?<\/form>/g) ?? []
  expect(forms.length).toBeGreaterThan(0)
  for (const form of forms)
    expect(form).toMatch(/<input type="hidden" name="_csrf" value="[A-Za-z0-9_-]{40,}">/)
}

describe('pages without JavaScript', () => {
  let app: AppUnderTest
  beforeAll(async () => {
    app = await startApp()
  })
  afterAll(() => app.close())

  it('sends anonymous visitors to /login', async () => {
    const browser = new FormBrowser(app)
    for (const path of ['/', '/sessions', '/admin']) {
      const page = await browser.page(path)
      expect(page.status, path).toBe(303)
      expect(page.location).toBe('/login')
    }
  })

  it('the login page: a form with a CSRF field, remember-me, the demo accounts, the security headers', async () => {
    const res = await fetch(`${app.base}/login`)
    const html = await res.text()
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expectCsrfOnEveryForm(html)
    expect(html).toContain('name="rememberMe"')
    expect(html).toContain('admin@example.com')
    expect(html).toContain('user-password-123')
    expect(html).not.toMatch(/<script(?![^>]*src="\/assets\/app\.js")/) // no inline script: CSP allows none
  })

  it('signs in with the form, shows the dashboard, and every form carries a CSRF token', async () => {
    const user = await app.createUser('user')
    const browser = new FormBrowser(app)
    const res = await browser.signIn(user.email, user.password)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/')
    expect(browser.sessionCookie).toBeDefined()
    const dashboard = await browser.page('/')
    expect(dashboard.status).toBe(200)
    expect(dashboard.html).toContain('Hello, Test user')
    expectCsrfOnEveryForm(dashboard.html)
    expectCsrfOnEveryForm((await browser.page('/sessions')).html)
    expect((await browser.page('/login')).location).toBe('/')
  })

  it('a failed form sign-in re-renders the login page with 401 and one message for every cause', async () => {
    const user = await app.createUser('user')
    const browser = new FormBrowser(app)
    const wrong = await browser.signIn(user.email, 'not-the-password')
    const unknown = await browser.signIn('nobody@example.com', 'not-the-password')
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401)
      expect(await res.text()).toContain('Wrong email or password.')
    }
  })

  it('a form posted without its _csrf field is refused and changes nothing', async () => {
    const user = await app.createUser('user')
    const browser = new FormBrowser(app)
    await browser.signIn(user.email, user.password)
    await browser.page('/')
    const res = await browser.send('POST', '/account/name', {
      form: { name: 'Forged' },
      csrf: false,
    })
    expect(res.status).toBe(403)
    expect((await browser.page('/')).html).toContain('Hello, Test user')
  })

  it('profile and password forms', async () => {
    const user = await app.createUser('user')
    const browser = new FormBrowser(app)
    await browser.signIn(user.email, user.password)
    await browser.page('/')
    expect(
      (await browser.submit('/account/name', { name: 'Renamed Person' })).headers.get('location'),
    ).toBe('/?notice=name-saved')
    const page = await browser.page('/?notice=name-saved')
    expect(page.html).toContain('Hello, Renamed Person')
    expect(page.html).toContain('Your name was saved.')
    expect(
      (
        await browser.submit('/account/password', {
          currentPassword: 'wrong-wrong',
          newPassword: 'another-long-password',
        })
      ).headers.get('location'),
    ).toBe('/?error=wrong-password')
    const other = new FormBrowser(app)
    await other.signIn(user.email, user.password)
    expect(
      (
        await browser.submit('/account/password', {
          currentPassword: user.password,
          newPassword: 'another-long-password',
        })
      ).headers.get('location'),
    ).toBe('/?notice=password-changed')
    expect((await other.page('/')).location).toBe('/login')
  })

  it('devices page: revoke one device, then log out everywhere else', async () => {
    const user = await app.createUser('user')
    const [me, second, third] = [new FormBrowser(app), new FormBrowser(app), new FormBrowser(app)]
    for (const b of [me, second, third]) await b.signIn(user.email, user.password)
    const secondId = (await second.status()).session?.id as string
    const page = await me.page('/sessions')
    expect(page.html).toContain('This device')
    expect(page.html).toContain(`data-session-id="${secondId}"`)
    expect((await me.submit(`/sessions/${secondId}/revoke`)).headers.get('location')).toBe(
      '/sessions?notice=device-revoked',
    )
    expect((await second.page('/')).location).toBe('/login')
    expect((await me.submit('/sessions/revoke-others')).headers.get('location')).toBe(
      '/sessions?notice=others-revoked',
    )
    expect((await third.page('/')).location).toBe('/login')
    expect((await me.page('/')).status).toBe(200)
  })

  it('admin page: a user gets 403, an admin changes the timeout and a role', async () => {
    const user = await app.createUser('user')
    const admin = await app.createUser('admin')
    const userBrowser = new FormBrowser(app)
    await userBrowser.signIn(user.email, user.password)
    const denied = await userBrowser.page('/admin')
    expect(denied.status).toBe(403)
    expect(denied.html).toContain('Admins only')
    expect(denied.html).not.toContain('idleTimeoutMinutes')
    expect((await userBrowser.submit('/admin/settings', { idleTimeoutMinutes: '9' })).status).toBe(
      403,
    )

    const adminBrowser = new FormBrowser(app)
    await adminBrowser.signIn(admin.email, admin.password)
    const page = await adminBrowser.page('/admin')
    expect(page.status).toBe(200)
    expectCsrfOnEveryForm(page.html)
    expect(
      (await adminBrowser.submit('/admin/settings', { idleTimeoutMinutes: '3' })).headers.get(
        'location',
      ),
    ).toBe('/admin?error=bad-timeout')
    expect(
      (await adminBrowser.submit('/admin/settings', { idleTimeoutMinutes: '45' })).headers.get(
        'location',
      ),
    ).toBe('/admin?notice=settings-saved')
    expect(app.deps.settings.idleTimeoutMinutes()).toBe(45)
    expect(
      (await adminBrowser.submit(`/admin/users/${user.id}/role`, { role: 'admin' })).headers.get(
        'location',
      ),
    ).toBe('/admin?notice=role-saved')
    expect((await userBrowser.page('/admin')).status).toBe(200)
    await adminBrowser.submit(`/admin/users/${user.id}/role`, { role: 'user' })
    expect(
      (await adminBrowser.submit(`/admin/users/${user.id}/revoke-sessions`)).headers.get(
        'location',
      ),
    ).toBe('/admin?notice=user-sessions-revoked')
    expect((await userBrowser.page('/')).location).toBe('/login')
    app.deps.settings.setIdleTimeoutMinutes(30)
  })

  it('logs out with the form: 303 to /login, cookie cleared, Clear-Site-Data', async () => {
    const user = await app.createUser('user')
    const browser = new FormBrowser(app)
    await browser.signIn(user.email, user.password)
    await browser.page('/')
    const res = await browser.submit('/logout')
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/login?notice=signed-out')
    expect(res.headers.get('clear-site-data')).toBe('"cache", "cookies", "storage"')
    expect(browser.sessionCookie).toBeUndefined()
  })

  it('flash messages come from a fixed list, never from the URL', async () => {
    const html = (
      await new FormBrowser(app).page(
        '/login?notice=%3Cscript%3Ealert(1)%3C/script%3E&error=<b>x</b>',
      )
    ).html
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<b>x</b>')
    expect((await new FormBrowser(app).page('/login?notice=signed-out')).html).toContain(
      'You have been signed out.',
    )
  })
})
