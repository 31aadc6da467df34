// hallpass/client in real Chromium: status transitions, focus/visibility refresh, cross-tab logout, and no token access.
import { describe, expect, it } from 'vitest'
import {
  CSRF_HEADER,
  login,
  trapCounts,
  useChromiumSuite,
  USER,
  waitForStatus,
  type TestPage,
} from './harness.ts'

// No touches during a test: a touch moves the idle deadline, and another tab's newer deadline is a real
// change of snapshot (tested on its own below), so with the harness's 1 s default the exact sequences here
// would depend on how fast the machine is.
const suite = useChromiumSuite({ touchInterval: '1h' })
const open = suite.open

const statuses = (p: TestPage) =>
  p.page.evaluate(() => window.hp!.log.snapshots.map((s) => s.status))
const snapshotOf = (p: TestPage) => p.page.evaluate(() => window.hp!.client.getSnapshot())

describe('hallpass/client in Chromium', () => {
  it('goes loading -> anonymous, and loading -> authenticated after login, from epoch or ISO timestamps', async () => {
    const a = await open()
    await waitForStatus(a.page, 'anonymous')
    expect(await statuses(a)).toEqual(['loading', 'anonymous'])
    expect(await snapshotOf(a)).toMatchObject({
      user: null,
      session: null,
      checkedAt: expect.any(Number),
    })

    await login(a.page)
    const epoch = await open()
    await waitForStatus(epoch.page, 'authenticated')
    const iso = await open({ status: '/api/session?format=iso' })
    await waitForStatus(iso.page, 'authenticated')
    for (const p of [epoch, iso]) expect(await statuses(p)).toEqual(['loading', 'authenticated'])
    const [fromEpoch, fromIso] = [await snapshotOf(epoch), await snapshotOf(iso)]
    expect(fromEpoch.user).toEqual(USER)
    expect(fromIso.session).toEqual(fromEpoch.session)
    const now = Date.now()
    const session = fromEpoch.session!
    expect(session.id).toMatch(/^[\w-]{20,}$/)
    expect(session.createdAt).toBeLessThanOrEqual(now)
    expect(session.idleExpiresAt).toBeGreaterThan(now + 1790_000)
    expect(session.expiresAt).toBeGreaterThan(now + 23 * 3600_000)

    // getSnapshot is stable between changes (what useSyncExternalStore needs) and the snapshot is frozen.
    const stable = await epoch.page.evaluate(() => {
      const { client, log } = window.hp!
      const s = client.getSnapshot()
      return s === client.getSnapshot() && s === log.snapshots.at(-1) && Object.isFrozen(s)
    })
    expect(stable).toBe(true)
  })

  it('refreshes on focus and on visibilitychange to visible, debounced, same-origin and no-store', async () => {
    const a = await open()
    await waitForStatus(a.page, 'anonymous')
    const start = a.statusRequests()

    await login(a.page) // signed in behind the client's back: the next focus must notice
    await a.page.evaluate(() => {
      for (let i = 0; i < 5; i++) window.dispatchEvent(new Event('focus'))
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await waitForStatus(a.page, 'authenticated')
    await a.page.waitForTimeout(200)
    expect(a.statusRequests()).toBe(start + 1)

    await a.page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => 'hidden',
      })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await a.page.waitForTimeout(200)
    expect(a.statusRequests()).toBe(start + 1) // becoming hidden is not a reason to ask

    await a.page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => 'visible',
      })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    await expect.poll(() => a.statusRequests()).toBe(start + 2)

    const fetches = await a.page.evaluate(() => window.hp!.log.fetches)
    expect(fetches.length).toBe(3)
    for (const init of fetches)
      expect(init).toEqual({
        url: '/api/session',
        method: 'GET',
        credentials: 'same-origin',
        cache: 'no-store',
      })

    // After dispose, nothing listens any more.
    await a.page.evaluate(() => {
      window.hp!.client.dispose()
      window.dispatchEvent(new Event('focus'))
    })
    await a.page.waitForTimeout(200)
    expect(a.statusRequests()).toBe(start + 2)
  })

  it('logout in one tab makes the other tab anonymous at once, through BroadcastChannel, without a request', async () => {
    const a = await open()
    await login(a.page)
    await a.page.evaluate(() => window.hp!.client.refresh())
    const b = await open()
    await waitForStatus(a.page, 'authenticated')
    await waitForStatus(b.page, 'authenticated')

    // A logout the server refuses (no CSRF header) changes nothing, here or there.
    const aRequests = a.statusRequests()
    const refused = await a.page.evaluate(() =>
      window.hp!.client.logout('/api/logout').then((r) => r.status),
    )
    expect(refused).toBe(403)
    await expect.poll(() => a.statusRequests()).toBe(aRequests + 1) // it re-checked instead of guessing
    expect((await snapshotOf(a)).status).toBe('authenticated')

    const bRequests = b.statusRequests()
    const result = await a.page.evaluate(async (headers) => {
      const response = await window.hp!.client.logout('/api/logout', { headers })
      return { status: response.status, after: window.hp!.client.getSnapshot().status }
    }, CSRF_HEADER)
    expect(result).toEqual({ status: 204, after: 'anonymous' })
    await waitForStatus(b.page, 'anonymous', 1_000)
    expect((await snapshotOf(b)).session).toBeNull()
    await b.page.waitForTimeout(300)
    expect(b.statusRequests()).toBe(bRequests) // no request storm: the message was enough

    const logoutInit = (await a.page.evaluate(() => window.hp!.log.fetches)).find(
      (f) => f.url === '/api/logout',
    )
    expect(logoutInit).toMatchObject({ method: 'POST', credentials: 'same-origin' })
    const serverSays = await b.page.evaluate(() => fetch('/api/session').then((r) => r.json()))
    expect(serverSays).toEqual({ authenticated: false })
  })

  it('a refresh that finds the session revoked tells the other tabs, and a new sign-in is shared too', async () => {
    const a = await open()
    await login(a.page)
    await a.page.evaluate(() => window.hp!.client.refresh())
    const b = await open()
    await waitForStatus(b.page, 'authenticated')
    const bRequests = b.statusRequests()

    expect(await suite.server.sessions.revokeUserSessions(USER.id)).toBeGreaterThanOrEqual(1) // e.g. "log out everywhere" from another device
    expect((await a.page.evaluate(() => window.hp!.client.refresh())).status).toBe('anonymous')
    await waitForStatus(b.page, 'anonymous', 1_000)

    await login(a.page)
    await a.page.evaluate(() => window.hp!.client.refresh())
    await waitForStatus(b.page, 'authenticated', 1_000)
    expect((await snapshotOf(b)).session).toEqual((await snapshotOf(a)).session)
    expect(b.statusRequests()).toBe(bRequests)
  })

  it('works without BroadcastChannel (each tab on its own)', async () => {
    const a = await open({}, 'delete window.BroadcastChannel')
    expect(await a.page.evaluate(() => typeof BroadcastChannel)).toBe('undefined')
    await login(a.page)
    await a.page.evaluate(() => window.hp!.client.refresh())
    expect((await snapshotOf(a)).status).toBe('authenticated')
    const status = await a.page.evaluate(
      (headers) => window.hp!.client.logout('/api/logout', { headers }).then((r) => r.status),
      CSRF_HEADER,
    )
    expect(status).toBe(204)
    expect(await statuses(a)).toEqual(['loading', 'anonymous', 'authenticated', 'anonymous'])
  })

  it('never reads a cookie or storage, and the session cookie is HttpOnly', async () => {
    const a = await open()
    await login(a.page)
    await a.page.evaluate(() => window.hp!.client.refresh())
    await waitForStatus(a.page, 'authenticated')
    const cookies = await suite.browser.context.cookies(suite.server.origin)
    expect(cookies).toEqual([
      expect.objectContaining({ name: 'hp', httpOnly: true, sameSite: 'Lax' }),
    ])
    expect(await a.page.evaluate(() => window.__rawCookie())).not.toContain('hp=')
    expect(await trapCounts(a.page)).toEqual({ cookieReads: 0, storageCalls: 0 })
    // And the shipped code has no way to: none of these APIs appear in the bundle.
    expect(suite.script).not.toMatch(
      /document\.cookie|cookieStore|localStorage|sessionStorage|indexedDB/,
    )
    expect(suite.script).toContain('BroadcastChannel')
  })
})
