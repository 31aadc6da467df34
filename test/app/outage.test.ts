// Store outages: /healthz and session routes answer 503 (no stack, no crash) while the store is down, and recover without a restart.
import { afterAll, describe, expect, it } from 'vitest'
import { HallpassError, type Store } from '../../src/index.ts'
import { startRedis } from '../support/redis.ts'
import { Agent, errorOf, startApp, type AppUnderTest } from './harness.ts'

/** Wraps a store so every call fails with STORE_UNAVAILABLE while `down` is true, as a real driver would report it. */
function switchable(): { wrap: (store: Store) => Store; set: (down: boolean) => void } {
  let down = false
  return {
    set: (value) => {
      down = value
    },
    wrap: (store) =>
      new Proxy(store, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown
          if (typeof value !== 'function' || key === 'close') return value
          return (...args: unknown[]) =>
            down
              ? Promise.reject(new HallpassError('STORE_UNAVAILABLE', 'simulated outage'))
              : (value as (...a: unknown[]) => unknown).apply(target, args)
        },
      }),
  }
}

async function expectDown(app: AppUnderTest, agent: Agent): Promise<void> {
  const health = await fetch(`${app.base}/healthz`)
  expect(health.status).toBe(503)
  expect(await health.json()).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } })
  const status = await agent.send('GET', '/api/auth/session')
  expect(status.status).toBe(503)
  const text = await status.text()
  expect(JSON.parse(text)).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } })
  expect(text).not.toMatch(/\.ts:\d+/)
  expect(status.headers.get('cache-control')).toBe('no-store')
  const page = await agent.send('GET', '/')
  expect(page.status).toBe(503)
}

async function expectUp(app: AppUnderTest, agent: Agent): Promise<void> {
  expect((await fetch(`${app.base}/healthz`)).status).toBe(200)
  expect((await agent.status()).authenticated).toBe(true)
}

describe('store outage (sqlite)', () => {
  const toggle = switchable()
  let app: AppUnderTest | undefined
  afterAll(() => app?.close())

  it('answers 503 while the store is down and recovers by itself', async () => {
    app = await startApp({ wrapStore: toggle.wrap })
    const user = await app.createUser('user')
    const agent = new Agent(app)
    await agent.login(user.email, user.password)
    toggle.set(true)
    await expectDown(app, agent)
    const login = await new Agent(app).send('POST', '/api/auth/login', {
      json: { email: user.email, password: user.password },
    })
    expect(login.status).toBe(503)
    expect(await errorOf(login)).toMatchObject({ code: 'STORE_UNAVAILABLE' })
    toggle.set(false)
    await expectUp(app, agent)
  })
})

describe('store outage (redis)', () => {
  let app: AppUnderTest | undefined
  let stop: (() => Promise<void>) | undefined
  afterAll(async () => {
    await app?.close()
    await stop?.()
  })

  it('answers 503 while redis-server is killed, and recovers when it is back', async () => {
    const redis = await startRedis()
    stop = () => redis.stop()
    app = await startApp({ env: { REDIS_URL: redis.url } })
    const user = await app.createUser('user')
    const agent = new Agent(app)
    await agent.login(user.email, user.password)
    await redis.kill()
    await expectDown(app, agent)
    // The login throttle shares the connection: it fails closed too.
    const login = await new Agent(app).send('POST', '/api/auth/login', {
      json: { email: user.email, password: user.password },
    })
    expect(login.status).toBe(503)
    await redis.restart() // empty: nothing was persisted, so the old session is gone
    const deadline = Date.now() + 10_000
    while ((await fetch(`${app.base}/healthz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('the app did not recover after Redis came back')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const fresh = new Agent(app)
    expect((await fresh.login(user.email, user.password)).status).toBe(200)
    expect((await fresh.status()).authenticated).toBe(true)
  })
})
