// Parallel password guesses through the reference app's login route over real HTTP, on SQLite (memory throttle) and Redis.
import { afterEach, expect, it } from 'vitest'
import type { Passwords } from '../../demo/passwords.ts'
import { Agent, type AppUnderTest } from './harness.ts'
import { describeOnStores } from './stores.ts'

const ENV = { LOGIN_MAX_FAILURES: '5', LOGIN_BACKOFF_AFTER: '1000', LOGIN_IP_MAX_FAILURES: '6' }

/** Records every password checked against a real hash (locked accounts are checked against a dummy one). */
function spyOnPasswords(app: AppUnderTest): { checked: string[]; restore: () => void } {
  const passwords = app.deps.passwords as { verify: Passwords['verify'] }
  const original = passwords.verify
  const checked: string[] = []
  passwords.verify = (stored, password) => {
    if (stored !== undefined) checked.push(password)
    return original(stored, password)
  }
  return { checked, restore: () => void (passwords.verify = original) }
}

let restore: (() => void) | undefined
afterEach(() => restore?.())

/** One agent per guess (its own IP and CSRF token), ready before the burst starts. */
async function agents(app: AppUnderTest, n: number): Promise<Agent[]> {
  const list = Array.from({ length: n }, () => new Agent(app))
  for (const agent of list) await agent.csrf()
  return list
}

describeOnStores('login brute force', { env: ENV }, (run) => {
  it.each([30, 100])(
    '%i wrong passwords at once from as many IPs: 5 are checked, every answer is the same 401',
    async (n) => {
      const { app } = run()
      const user = await app.createUser('user')
      const spy = spyOnPasswords(app)
      restore = spy.restore
      const burst = await agents(app, n)
      const responses = await Promise.all(
        burst.map((agent, i) =>
          agent.send('POST', '/api/auth/login', {
            json: { email: user.email, password: `guess-${i}` },
          }),
        ),
      )
      expect(responses.map((r) => r.status)).toEqual(Array(n).fill(401))
      expect(spy.checked).toHaveLength(5)
    },
  )

  it('30 guesses at once with the right password 8th: at most 5 wrong ones are checked, and the account is locked', async () => {
    const { app } = run()
    const user = await app.createUser('user')
    const spy = spyOnPasswords(app)
    restore = spy.restore
    const burst = await agents(app, 30)
    const responses = await Promise.all(
      burst.map((agent, i) =>
        agent.send('POST', '/api/auth/login', {
          json: { email: user.email, password: i === 7 ? user.password : `guess-${i}` },
        }),
      ),
    )
    const wrongChecked = spy.checked.filter((p) => p !== user.password)
    expect(wrongChecked.length).toBeLessThanOrEqual(5)
    expect(spy.checked.length).toBeLessThanOrEqual(6)
    expect(responses.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1)
    expect(responses.every((r) => r.status === 200 || r.status === 401)).toBe(true)
    // The budget is spent either way: the right password is refused now, without being checked.
    const before = spy.checked.length
    expect((await new Agent(app).login(user.email, user.password)).status).toBe(401)
    expect(spy.checked).toHaveLength(before)
  })

  it('30 guesses at once from one IP on 30 accounts: 6 are checked, the rest get 429', async () => {
    const { app } = run()
    const users = await Promise.all(Array.from({ length: 30 }, () => app.createUser('user')))
    const spy = spyOnPasswords(app)
    restore = spy.restore
    const attacker = new Agent(app)
    await attacker.csrf()
    const responses = await Promise.all(
      users.map((u) =>
        attacker.send('POST', '/api/auth/login', { json: { email: u.email, password: 'guess' } }),
      ),
    )
    expect(spy.checked).toHaveLength(6)
    expect(responses.filter((r) => r.status === 401)).toHaveLength(6)
    expect(responses.filter((r) => r.status === 429)).toHaveLength(24)
  })
})
