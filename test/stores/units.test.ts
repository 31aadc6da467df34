// Store timing options name their unit (`...Ms`), reject durations meant for createSessions, and keep their older names.
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isHallpassError } from '../../src/errors.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import { testRecord } from '../../src/testing/index.ts'
import { startRedis, type RedisServer } from '../support/redis.ts'

function configMessage(make: () => unknown): string {
  try {
    make()
  } catch (error) {
    if (isHallpassError(error) && error.code === 'CONFIG_INVALID') return error.message
    throw error
  }
  throw new Error('no CONFIG_INVALID error')
}

describe('store timing options carry their unit in the name', () => {
  let server: RedisServer
  beforeAll(async () => void (server = await startRedis()))
  afterAll(async () => server?.stop())

  it('a duration string or seconds-style value meant for createSessions is refused with the unit named', async () => {
    const client = await createClient({ url: server.url }).connect()
    try {
      expect(configMessage(() => memoryStore({ sweepIntervalMs: '10s' as never }))).toMatch(
        /memoryStore sweepIntervalMs must be a whole number of milliseconds/,
      )
      expect(
        configMessage(() => sqliteStore({ database: ':memory:', purgeIntervalMs: '1m' as never })),
      ).toMatch(/sqliteStore purgeIntervalMs must be a whole number of milliseconds from 0 \(off\)/)
      expect(configMessage(() => redisStore({ client, commandTimeoutMs: '1s' as never }))).toMatch(
        /redisStore commandTimeoutMs must be a whole number of milliseconds from 1 to 60000/,
      )
      expect(configMessage(() => redisStore({ client, commandTimeoutMs: 0.5 }))).toMatch(
        /milliseconds/,
      )
      expect(configMessage(() => memoryStore({ sweepIntervalMs: 0 }))).toMatch(/from 1/)
    } finally {
      await client.close()
    }
  })

  it('the unit-less names (never released) are unknown options where a store checks its options', async () => {
    const client = await createClient({ url: server.url }).connect()
    try {
      expect(configMessage(() => redisStore({ client, commandTimeout: 500 } as never))).toMatch(
        /unknown option "commandTimeout"/,
      )
      expect(
        configMessage(() => sqliteStore({ database: ':memory:', purgeInterval: 0 } as never)),
      ).toMatch(/unknown option "purgeInterval"/)
      expect(configMessage(() => redisStore({ client, commandTimeoutMs: 60_001 }))).toMatch(
        /commandTimeoutMs must be/,
      )
      await redisStore({ client, commandTimeoutMs: 500 }).ping!()
    } finally {
      await client.close()
    }
  })

  it('a paused Redis fails within commandTimeoutMs milliseconds, not seconds', async () => {
    const client = await createClient({ url: server.url }).connect()
    const store = redisStore({ client, commandTimeoutMs: 200 })
    server.pause()
    try {
      const started = performance.now()
      await expect(store.get('a'.repeat(26))).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        message: expect.stringMatching(/no reply within 200 ms/),
      })
      expect(performance.now() - started).toBeLessThan(30_000) // far below 200 s; the message proves the 200 ms timer fired
    } finally {
      server.resume()
      await client.close()
    }
  })

  it('purgeIntervalMs is milliseconds: expired rows go on the next timer tick', async () => {
    let now = 1_000_000
    const store = sqliteStore({ database: ':memory:', clock: () => now, purgeIntervalMs: 5 })
    await store.create(testRecord(), { ttl: 1_000 })
    now += 2_000
    const count = (): unknown =>
      (store.database as unknown as { prepare(sql: string): { pluck(): { get(): unknown } } })
        .prepare('SELECT count(*) FROM hallpass_sessions')
        .pluck()
        .get()
    expect(count()).toBe(1)
    await expect.poll(count, { timeout: 5_000, interval: 10 }).toBe(0)
    await store.close()
  })
})
