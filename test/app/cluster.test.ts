// The reference app on Redis Cluster (REDIS_CLUSTER_NODES): sign-in, devices, revocation and lockout on a real 3-master cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCluster, type RedisCluster } from '../support/redis.ts'
import { Agent, startApp, type AppUnderTest } from './harness.ts'

describe('on Redis Cluster', () => {
  let cluster: RedisCluster
  let app: AppUnderTest
  beforeAll(async () => {
    cluster = await startCluster()
    app = await startApp({
      env: {
        REDIS_CLUSTER_NODES: cluster.rootNodes.map((n) => `${n.host}:${n.port}`).join(','),
        LOGIN_MAX_FAILURES: '2',
        LOGIN_BACKOFF_AFTER: '2',
      },
    })
  }, 60_000)
  afterAll(async () => {
    await app?.close()
    await cluster?.stop()
  })

  it('reports redis in /healthz', async () => {
    expect(await (await fetch(`${app.base}/healthz`)).json()).toEqual({ ok: true, store: 'redis' })
  })

  it('signs in on several devices, lists them, revokes the others, logs out', async () => {
    const user = await app.createUser('user')
    const devices = [new Agent(app), new Agent(app), new Agent(app)]
    for (const device of devices)
      expect((await device.login(user.email, user.password)).status).toBe(200)
    const [keeper, other] = devices as [Agent, Agent, Agent]
    const list = (await (await keeper.send('GET', '/api/sessions')).json()) as {
      sessions: unknown[]
    }
    expect(list.sessions).toHaveLength(3)
    expect(await (await keeper.send('POST', '/api/sessions/revoke-others')).json()).toEqual({
      revoked: 2,
    })
    expect((await other.status()).authenticated).toBe(false)
    expect((await keeper.send('POST', '/api/auth/logout')).status).toBe(204)
    expect((await keeper.status()).authenticated).toBe(false)
  })

  it('locks an account after repeated failures (throttle counters in the cluster)', async () => {
    const user = await app.createUser('user')
    const attacker = new Agent(app)
    for (let i = 0; i < 3; i++)
      await attacker.send('POST', '/api/auth/login', {
        json: { email: user.email, password: 'wrong-wrong' },
      })
    expect((await new Agent(app).login(user.email, user.password)).status).toBe(401)
  })
})
