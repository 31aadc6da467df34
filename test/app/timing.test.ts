// Login timing: an unknown email and a locked account cost what a wrong password costs (a real Argon2 hash runs every time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_COST } from '../../demo/passwords.ts'
import { Agent, startApp, type AppUnderTest } from './harness.ts'

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

describe('login timing', () => {
  let app: AppUnderTest
  beforeAll(async () => {
    app = await startApp({
      hashCost: DEFAULT_COST,
      env: { LOGIN_MAX_FAILURES: '1', LOGIN_BACKOFF_AFTER: '1', LOGIN_IP_MAX_FAILURES: '10000' },
    })
  })
  afterAll(() => app.close())

  it('unknown email, wrong password and locked account take about the same time', async () => {
    const open = await app.createUser('user')
    const locked = await app.createUser('user')
    for (let i = 0; i < 2; i++)
      await new Agent(app).send('POST', '/api/auth/login', {
        json: { email: locked.email, password: 'wrong-wrong' },
      })
    const samples = { unknown: [] as number[], wrong: [] as number[], locked: [] as number[] }
    const attempts = { unknown: 'nobody@example.com', wrong: open.email, locked: locked.email }
    for (let round = 0; round < 9; round++) {
      for (const kind of ['wrong', 'unknown', 'locked'] as const) {
        const agent = new Agent(app)
        await agent.csrf()
        // Never lock the "wrong password" account: it must keep verifying its real hash.
        if (kind === 'wrong') await app.deps.throttle.reset(open.email)
        const started = performance.now()
        const res = await agent.send('POST', '/api/auth/login', {
          json: {
            email: attempts[kind],
            password: kind === 'locked' ? locked.password : 'wrong-wrong',
          },
        })
        samples[kind].push(performance.now() - started)
        expect(res.status).toBe(401)
      }
    }
    const wrong = median(samples.wrong)
    for (const kind of ['unknown', 'locked'] as const) {
      const ratio = median(samples[kind]) / wrong
      expect(
        ratio,
        `${kind}: ${median(samples[kind]).toFixed(1)} ms vs wrong password ${wrong.toFixed(1)} ms`,
      ).toBeGreaterThan(0.6)
      expect(ratio, kind).toBeLessThan(1.6)
    }
  })
})
