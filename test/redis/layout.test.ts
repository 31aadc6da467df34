// The documented key layout on a real redis-server: key names, hash fields, index scores and TTLs, pruning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userTag } from '../../src/crypto/token.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { testRecord } from '../../src/testing/index.ts'
import {
  redisCli,
  startStandaloneClients,
  type RedisServer,
  type StandaloneClients,
} from '../support/redis.ts'

let redis: StandaloneClients
let server: RedisServer
let client: StandaloneClients['nodeRedis']

beforeAll(async () => {
  redis = await startStandaloneClients()
  ;({ server, nodeRedis: client } = redis)
})

afterAll(async () => redis?.stop())

const HOUR = 3_600_000
const cli = (...args: string[]): string => redisCli(server.port, ...args).trim()

/** A manager-style id: the user's routing tag, then 22 base64url characters. */
function idFor(userId: string | null, n: number): string {
  return `${userId === null ? 'anon' : userTag(userId)}${String(n).padStart(22, 'x')}`
}

describe('Redis key layout', () => {
  it('one compact hash per session under hp:{tag}, data fields prefixed with a dot, the user agent in its short form', async () => {
    const store = redisStore({ client })
    const userAgent =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'
    const record = testRecord({
      id: idFor('ada', 1),
      userId: 'ada',
      data: { cart: ['book'], n: 2 },
      persistent: true,
      roles: ['admin'],
      ip: '203.0.113.7',
      userAgent,
    })
    await store.create(record, { ttl: HOUR })
    const key = `hp:{${userTag('ada')}}${record.id.slice(4)}`
    const fields = await client.hGetAll(key)
    expect(fields).toEqual({
      c: String(record.createdAt),
      l: '0',
      e: String(record.expiresAt - record.createdAt),
      v: '1',
      u: 'ada',
      p: '1',
      r: '["admin"]',
      i: '203.0.113.7',
      b: '\x01\x04\x05\x0c126.0\x08',
      '.cart': '["book"]',
      '.n': '2',
    })
    expect(cli('OBJECT', 'ENCODING', key)).toBe('listpack')
    expect(Number(cli('PTTL', key))).toBeGreaterThan(HOUR - 5_000)
    expect(await store.get(record.id)).toEqual(record)
  })

  it('has one encoding per user agent: a user agent the short form holds is corrupt in `a`, and shortUserAgents is not an option', async () => {
    const userAgent =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'
    const store = redisStore({ client, prefix: 'uaf:' })
    const record = testRecord({ id: idFor('ulf', 1), userId: 'ulf', userAgent })
    await store.create(record, { ttl: HOUR })
    const key = `uaf:{${userTag('ulf')}}${record.id.slice(4)}`
    expect(Object.keys(await client.hGetAll(key))).toContain('b')
    expect(await store.get(record.id)).toEqual(record)
    await client.hDel(key, 'b')
    await client.hSet(key, { a: userAgent.slice(0, 64), a1: userAgent.slice(64) })
    expect(await store.get(record.id)).toBe('corrupt')
    expect(() =>
      redisStore({ client, shortUserAgents: false } as unknown as Parameters<typeof redisStore>[0]),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it('keeps a user agent it cannot shorten as it is, chunked at 64 bytes, and refuses a short form with an unknown code', async () => {
    const store = redisStore({ client, prefix: 'ua:' })
    const userAgent = `odd\x01agent ${'x'.repeat(80)}`
    const record = testRecord({ id: idFor('uma', 1), userId: 'uma', userAgent })
    await store.create(record, { ttl: HOUR })
    const key = `ua:{${userTag('uma')}}${record.id.slice(4)}`
    const fields = await client.hGetAll(key)
    expect([fields.a, fields.a1, fields.b]).toEqual([
      userAgent.slice(0, 64),
      userAgent.slice(64),
      undefined,
    ])
    expect(await store.get(record.id)).toEqual(record)
    await client.hSet(key, 'b', 'Chrome\x1f')
    await client.hDel(key, ['a', 'a1'])
    expect(await store.get(record.id)).toBe('corrupt')
    // A short form that would expand past 512 characters is corrupt before it is expanded (1 MB of one code: 39 MB).
    await store.create(record, { ttl: HOUR })
    await client.hDel(key, ['a', 'a1'])
    await client.hSet(key, 'b', '\x05'.repeat(1_000_000))
    expect(await store.get(record.id)).toBe('corrupt')
  })

  it('the user index is a sorted set in the same hash tag, scored by Redis-clock expiry, living as long as the absolute expiry', async () => {
    const store = redisStore({ client, prefix: 'lay:' })
    const record = testRecord({
      id: idFor('bea', 2),
      userId: 'bea',
      expiresAt: Date.now() + 24 * HOUR,
    })
    await store.create(record, { ttl: HOUR })
    const index = `lay:{${userTag('bea')}}u:bea`
    const [seconds, micros] = cli('TIME').split('\n').map(Number) as [number, number]
    const redisNow = seconds * 1000 + Math.floor(micros / 1000)
    const score = Number(cli('ZSCORE', index, record.id))
    expect(score).toBeGreaterThan(redisNow + HOUR - 5_000)
    expect(score).toBeLessThanOrEqual(redisNow + HOUR)
    expect(Number(cli('PTTL', index))).toBeGreaterThan(24 * HOUR - 60_000)
  })

  it('index entries are pruned as it goes: expired and destroyed sessions leave the index on the next write', async () => {
    const store = redisStore({ client, prefix: 'prune:' })
    const index = `prune:{${userTag('cy')}}u:cy`
    const short = [1, 2, 3].map((n) => testRecord({ id: idFor('cy', 10 + n), userId: 'cy' }))
    for (const record of short) await store.create(record, { ttl: 150 })
    const gone = testRecord({ id: idFor('cy', 20), userId: 'cy' })
    await store.create(gone, { ttl: HOUR })
    expect(cli('ZCARD', index)).toBe('4')
    expect(await store.destroy(gone.id)).toBe(true)
    expect(cli('ZCARD', index)).toBe('3')
    await new Promise((resolve) => setTimeout(resolve, 250))
    const next = testRecord({ id: idFor('cy', 30), userId: 'cy' })
    await store.create(next, { ttl: HOUR })
    expect(cli('ZRANGE', index, '0', '-1')).toBe(next.id)
  })

  it('refuses malformed ids without touching Redis keys they could name', async () => {
    const store = redisStore({ client, prefix: 'odd:' })
    const owner = testRecord({ id: idFor('dan', 40), userId: 'dan' })
    await store.create(owner, { ttl: HOUR })
    const indexLike = `${userTag('dan')}u:dan` // would name the index key if ids were not checked
    expect(await store.get(indexLike)).toBeNull()
    expect(await store.destroy(indexLike)).toBe(false)
    expect(await store.patch(indexLike, { set: { a: 1 }, unset: [], ttl: HOUR })).toBe('missing')
    expect(await store.revoke('dan', { ids: [indexLike, '{x}y'] })).toEqual([])
    expect((await store.listByUser('dan')).map((r) => r.id)).toEqual([owner.id])
  })
})
