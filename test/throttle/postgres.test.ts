// Login throttling on a real PostgreSQL server through a pg Pool: counts across IPs, exact under parallel guesses,
// fails closed while the server is down and recovers, and its options are checked.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migratePostgres } from '../../src/stores/postgres/index.ts'
import { createLoginThrottle } from '../../src/throttle/index.ts'
import { startPostgres, uniqueTable, type PostgresServer } from '../support/postgres.ts'
import { testSessions } from '../support/sessions.ts'

let server: PostgresServer
let pool: pg.Pool

beforeAll(async () => {
  server = await startPostgres()
  pool = new pg.Pool({ connectionString: server.url, max: 10 })
  pool.on('error', () => undefined) // idle connections drop when the outage case stops the server
  await migratePostgres({ client: pool }) // creates hallpass_throttle beside the sessions table
})
afterAll(async () => {
  await pool?.end()
  await server?.stop()
})

const prefix = (): string => `thr-${uniqueTable()}`

describe('login throttle on PostgreSQL (pg Pool)', () => {
  it('counts guesses on one account from many IPs, and locks it for every IP', async () => {
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, {
      postgres: pool,
      prefix: prefix(),
      maxFailuresPerAccount: 5,
      backoffAfter: 10,
    })
    for (let i = 0; i < 5; i++)
      await throttle.attempt({ account: 'victim@example.com', ip: `198.51.100.${i}` }, () => false)
    expect(await throttle.failures('victim@example.com')).toBe(5)
    expect(
      await throttle.check({ account: 'victim@example.com', ip: '203.0.113.5' }),
    ).toMatchObject({
      allowed: false,
      scope: 'account',
    })
    await throttle.reset('victim@example.com')
    expect(await throttle.check({ account: 'victim@example.com', ip: '203.0.113.5' })).toEqual({
      allowed: true,
    })
  })

  it('100 wrong guesses at once on one account: exactly 5 are checked', async () => {
    const { sessions } = testSessions()
    // A wide timeout: 100 attempts at once queue for 10 connections, and this case is about the count, not latency.
    const throttle = createLoginThrottle(sessions, {
      postgres: pool,
      prefix: prefix(),
      maxFailuresPerAccount: 5,
      backoffAfter: 100,
      timeout: '20s',
    })
    let checked = 0
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        throttle.attempt({ account: 'crowd@example.com', ip: `198.51.100.${i}` }, async () => {
          checked += 1
          return null
        }),
      ),
    )
    expect(checked).toBe(5)
    expect(results.filter((r) => !r.ok && r.reason === 'locked')).toHaveLength(95)
  })

  it('blocks logins while the server is down, and recovers without a restart', async () => {
    const outagePool = new pg.Pool({ connectionString: server.url, max: 2 })
    outagePool.on('error', () => undefined)
    try {
      const { sessions } = testSessions()
      const throttle = createLoginThrottle(sessions, {
        postgres: outagePool,
        prefix: prefix(),
        timeout: '1s',
      })
      const attempt = { account: 'carol@example.com', ip: '203.0.113.9' }
      expect(await throttle.check(attempt)).toEqual({ allowed: true })
      await server.halt()
      let checked = 0
      expect(await throttle.attempt(attempt, () => ++checked)).toMatchObject({
        ok: false,
        reason: 'unavailable',
      })
      expect(checked).toBe(0)
      await expect(throttle.failures('carol@example.com')).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
      })
      await server.start()
      expect(await throttle.check(attempt)).toEqual({ allowed: true })
    } finally {
      await outagePool.end()
    }
  }, 30_000)

  it('a postgresSchema without the table is CONFIG_INVALID naming the migration, not an outage', async () => {
    const { sessions } = testSessions()
    const throttle = createLoginThrottle(sessions, {
      postgres: pool,
      postgresSchema: 'nosuch',
      prefix: prefix(),
    })
    const guess = throttle.attempt({ account: 'mallory@example.com', ip: '10.0.0.1' }, () => false)
    await expect(guess).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('hallpass migrate --postgres <URL> --schema nosuch'),
    })
  })

  it('refuses redis and postgres together, a client that is not pg, and a bad schema name', () => {
    const { sessions } = testSessions()
    for (const options of [
      { postgres: pool, redis: {} },
      { postgres: {} },
      { postgres: pool, postgresSchema: 'Bad Name' },
      { postgresSchema: 'x' },
    ]) {
      expect(() => createLoginThrottle(sessions, options)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      )
    }
  })
})
