// hallpass/client's idle-expiry warning in Chromium, against a server whose clock runs five minutes ahead of the browser's.
import { describe, expect, it } from 'vitest'
import { login, useChromiumSuite, waitForStatus, type TestPage } from './harness.ts'

const SKEW_MS = 5 * 60_000 // deadlines come in server time: without correcting for this, nothing would fire for minutes
const IDLE_SECONDS = 3
const suite = useChromiumSuite(
  { skewMs: SKEW_MS },
  (server) => void (server.idleSeconds = IDLE_SECONDS),
)
const open = suite.open

/** Signs in and has the client learn it. */
async function signIn(p: TestPage): Promise<void> {
  await waitForStatus(p.page, 'anonymous')
  await login(p.page)
  await p.page.evaluate(() => window.hp!.client.refresh())
  await waitForStatus(p.page, 'authenticated')
}

const expiring = (p: TestPage) => p.page.evaluate(() => window.hp!.log.expiring)

describe('hallpass/client onExpiring', () => {
  it('warns N seconds before the idle deadline, reschedules on refresh, and ends the session client-side', async () => {
    const a = await open({ expiring: '2' })
    const b = await open({ expiring: '60' }) // another tab, asking for more warning than the session has left
    await waitForStatus(b.page, 'anonymous')
    await signIn(a)
    const deadline = async () =>
      (await a.page.evaluate(() => window.hp!.client.getSnapshot().session!.idleExpiresAt)) -
      SKEW_MS
    const first = await deadline()

    // B learns of the sign-in from A's broadcast, and is warned at once: about 3 s left (up to 1 s more
    // by its estimate of the server's clock, which errs late so it never ends a session early).
    await waitForStatus(b.page, 'authenticated', 1_000)
    await expect.poll(() => expiring(b).then((calls) => calls.length)).toBe(1)
    expect([3, 4]).toContain((await expiring(b))[0]!.secondsLeft)

    // A is warned 2 s before the deadline, timed on the server's clock (give or take the Date header's 1 s resolution).
    await a.page.waitForFunction(() => window.hp!.log.expiring.length === 1, undefined, {
      timeout: 4_000,
    })
    const [warning] = await expiring(a)
    expect(warning!.secondsLeft).toBe(2)
    expect(warning!.at - (first - 2_000)).toBeGreaterThanOrEqual(-50)
    expect(warning!.at - (first - 2_000)).toBeLessThan(1_500)

    // Activity slides the deadline; the client moves its one timer and warns again for the new deadline.
    await a.page.waitForTimeout(
      Math.max(0, first - 700 - (await a.page.evaluate(() => Date.now()))),
    )
    await a.page.evaluate(() => window.hp!.client.refresh())
    const second = await deadline()
    expect(second - first).toBeGreaterThan(2_100) // so a surviving first timer (grace + clock error <= 2 s) would show
    const requests = a.statusRequests()
    await a.page.waitForFunction(() => window.hp!.log.expiring.length === 2, undefined, {
      timeout: 4_000,
    })
    const [, again] = await expiring(a)
    expect(again!.secondsLeft).toBe(2)
    expect(again!.at).toBeGreaterThanOrEqual(second - 2_050)

    // The session ends in the client after the new deadline, never before, and without polling the suite.server.
    await waitForStatus(a.page, 'anonymous', 5_000)
    const endedAt = await a.page.evaluate(() => window.hp!.log.snapshots.at(-1)!.checkedAt!)
    expect(endedAt).toBeGreaterThanOrEqual(second)
    expect(endedAt - second).toBeLessThan(2_500) // 1 s grace, plus up to 1 s from the Date header's resolution
    expect(a.statusRequests()).toBe(requests)
    expect(await expiring(a)).toHaveLength(2)
    expect(await a.page.evaluate(() => window.hp!.log.snapshots.map((s) => s.status))).toEqual([
      'loading',
      'anonymous',
      'authenticated',
      'authenticated',
      'anonymous',
    ])

    const serverSays = await a.page.evaluate(() => fetch('/api/session').then((r) => r.json()))
    expect(serverSays).toEqual({ authenticated: false })
  })

  it('a touch seen by one tab moves the deadline in every tab, without a request from the others', async () => {
    const a = await open()
    const b = await open()
    await waitForStatus(b.page, 'anonymous')
    await signIn(a)
    await waitForStatus(b.page, 'authenticated', 1_000)
    const idleDeadline = (p: TestPage) =>
      p.page.evaluate(() => window.hp!.client.getSnapshot().session!.idleExpiresAt)
    const before = await idleDeadline(b)
    const bRequests = b.statusRequests()

    await a.page.waitForTimeout(1_100) // past the 1 s touch interval: A's next request slides the deadline
    await a.page.evaluate(() => window.hp!.client.refresh())
    const after = await idleDeadline(a)
    expect(after).toBeGreaterThan(before)
    await b.page.waitForFunction(
      (t) => window.hp!.client.getSnapshot().session!.idleExpiresAt === t,
      after,
      { timeout: 1_000 },
    )
    expect(b.statusRequests()).toBe(bRequests)
    expect(await b.page.evaluate(() => window.hp!.log.snapshots.map((s) => s.status))).toEqual([
      'loading',
      'anonymous',
      'authenticated',
      'authenticated',
    ])
  })
})
