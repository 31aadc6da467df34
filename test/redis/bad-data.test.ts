// Data the store did not write (edited with redis-cli): no session, key deleted, an invalid_data event, prototypes untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore, type RedisClientLike } from '../../src/stores/redis/index.ts'
import {
  redisCli,
  startStandaloneClients,
  uniquePrefix,
  type RedisServer,
  type StandaloneClients,
} from '../support/redis.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

let redis: StandaloneClients
let server: RedisServer
const clients: Record<string, RedisClientLike> = {}

beforeAll(async () => {
  redis = await startStandaloneClients()
  server = redis.server
  Object.assign(clients, { 'node-redis': redis.nodeRedis, ioredis: redis.ioredis })
})

afterAll(async () => redis?.stop())

/** Each entry damages a stored session with raw redis-cli arguments (KEY is the session's key). */
const DAMAGE: Record<string, string[][]> = {
  'invalid JSON in a data value': [['HSET', 'KEY', '.cart', '{not json']],
  'a timestamp that is not a number': [['HSET', 'KEY', 'c', 'yesterday']],
  'roles that are not a list of strings': [['HSET', 'KEY', 'r', '{"admin":true}']],
  'a missing version': [['HDEL', 'KEY', 'v']],
  'a field hallpass never writes': [['HSET', 'KEY', 'z', '1']],
  '__proto__ as a data key': [['HSET', 'KEY', '.__proto__', '{"polluted":"yes"}']],
  '__proto__ inside a data value': [
    ['HSET', 'KEY', '.profile', '{"__proto__":{"polluted":"yes"}}'],
  ],
  'constructor.prototype deep inside a value': [
    ['HSET', 'KEY', '.x', '{"a":[{"constructor":{"prototype":{"polluted":"yes"}}}]}'],
  ],
  'data nested 10,000 levels deep': [
    ['HSET', 'KEY', '.deep', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
  ],
  'data over maxDataBytes': [['HSET', 'KEY', '.big', JSON.stringify('x'.repeat(20_000))]],
  'a version above 2^53': [['HSET', 'KEY', 'v', '9007199254740993']],
  'a non-finite number inside a value': [['HSET', 'KEY', '.n', '[1e400]']],
  'a user agent longer than hallpass keeps': [['HSET', 'KEY', 'a', 'x'.repeat(600)]],
  'a device key holding a private part': [
    [
      'HSET',
      'KEY',
      'k',
      '{"id":"dbsc-binding-0001","alg":"ES256","jwk":{"kty":"EC","d":"x"},"boundAt":1,"usedAt":0}',
    ],
  ],
  'a device key that is not JSON': [['HSET', 'KEY', 'k', '{not json']],
  'a string where the hash should be': [
    ['DEL', 'KEY'],
    ['SET', 'KEY', '{"userId":"mallory","__proto__":{"polluted":"yes"}}'],
  ],
}

function prototypesClean(): boolean {
  return (
    !('polluted' in {}) &&
    !Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted') &&
    !('polluted' in Object)
  )
}

describe.each(['node-redis', 'ioredis'])('bad data in Redis (%s)', (name) => {
  it.each(Object.entries(DAMAGE))(
    '%s: no session, key deleted, session.rejected invalid_data',
    async (_, commands) => {
      const prefix = uniquePrefix()
      const { sessions, events } = testSessions({
        store: redisStore({ client: clients[name] as RedisClientLike, prefix }),
      })
      const session = await sessions.load()
      await session.login('victim')
      session.set('cart', ['book'])
      const cookie = cookiePair((await session.commit()).cookies[0])
      const id = session.id as string
      const key = `${prefix}{${id.slice(0, 4)}}${id.slice(4)}`
      for (const command of commands)
        redisCli(server.port, ...command.map((arg) => (arg === 'KEY' ? key : arg)))

      const loaded = await sessions.load({ cookie })
      expect(loaded.isNew).toBe(true)
      expect(loaded.userId).toBeNull()
      expect(loaded.data).toEqual({})
      expect(events.at(-1)).toMatchObject({ type: 'session.rejected', reason: 'invalid_data', id })
      expect(redisCli(server.port, 'EXISTS', key).trim()).toBe('0')
      expect(prototypesClean()).toBe(true)
      expect(await sessions.listSessions('victim')).toEqual([])
    },
  )

  it('update() on a record damaged after load (10,000 levels deep) throws SESSION_GONE, deletes it and emits session.rejected', async () => {
    const prefix = uniquePrefix()
    const { sessions, events } = testSessions({
      store: redisStore({ client: clients[name] as RedisClientLike, prefix }),
    })
    const first = await sessions.load()
    await first.login('victim')
    const cookie = cookiePair((await first.commit()).cookies[0])
    const id = first.id as string
    const key = `${prefix}{${id.slice(0, 4)}}${id.slice(4)}`
    const session = await sessions.load({ cookie })
    expect(session.userId).toBe('victim')
    redisCli(server.port, 'HSET', key, '.deep', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`)
    await expect(session.update((draft) => ({ ...draft, n: 1 }))).rejects.toMatchObject({
      code: 'SESSION_GONE',
    })
    expect(events.at(-1)).toMatchObject({ type: 'session.rejected', reason: 'invalid_data', id })
    expect(redisCli(server.port, 'EXISTS', key).trim()).toBe('0')
    expect((await session.commit()).cookies.join()).toMatch(/Max-Age=0/)
  })

  it('listSessions skips and deletes a damaged session but keeps the good ones', async () => {
    const prefix = uniquePrefix()
    const { sessions } = testSessions({
      store: redisStore({ client: clients[name] as RedisClientLike, prefix }),
    })
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const session = await sessions.load()
      await session.login('lister')
      await session.commit()
      ids.push(session.id as string)
    }
    const bad = ids[1] as string
    const key = `${prefix}{${bad.slice(0, 4)}}${bad.slice(4)}`
    redisCli(server.port, 'HSET', key, '.x', '{"__proto__":{"polluted":"yes"}}')
    expect((await sessions.listSessions('lister')).map((s) => s.id).sort()).toEqual(
      [ids[0], ids[2]].sort(),
    )
    expect(redisCli(server.port, 'EXISTS', key).trim()).toBe('0')
    expect(redisCli(server.port, 'ZCARD', `${prefix}{${bad.slice(0, 4)}}u:lister`).trim()).toBe('2')
    expect(prototypesClean()).toBe(true)
  })
})
