// The CLI: usable secrets, and sessions list/revoke/purge against real SQLite and Redis stores.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessions, type Store } from '../../src/index.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import { startRedis, type RedisServer } from '../support/redis.ts'
import { TEST_SECRET } from '../support/sessions.ts'
import { run } from '../../src/cli/index.ts'

async function capture(argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await run(argv, (l) => out.push(l), (l) => err.push(l))
  return { code, out, err }
}

/** Signs `userId` in `count` times on `store`, as three devices would. */
async function signIn(store: Store, userId: string, count: number): Promise<string[]> {
  let now = Date.now()
  const clock = (): number => (now += 1_000) // each device signs in a second after the last
  const sessions = createSessions({ secret: TEST_SECRET, store, cookie: { secure: false }, clock })
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const session = await sessions.load({ ip: '203.0.113.7', userAgent: `device-${i}` })
    await session.login(userId)
    await session.commit()
    ids.push(session.id as string)
  }
  return ids
}

describe('hallpass secret', () => {
  it('prints a fresh 256-bit secret that createSessions accepts', async () => {
    const a = await capture(['secret'])
    const b = await capture(['secret'])
    expect(a.code).toBe(0)
    expect(a.out[0]).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.out[0]).not.toBe(b.out[0])
    expect(() => createSessions({ secret: a.out[0]! })).not.toThrow()
  })

  it('refuses a weak size, unknown commands and a missing store with usage and exit 2', async () => {
    expect(await capture(['secret', '--bytes', '8'])).toMatchObject({ code: 2, err: [expect.stringMatching(/--bytes/)] })
    expect(await capture(['nope'])).toMatchObject({ code: 2, err: [expect.stringMatching(/unknown command/)] })
    expect(await capture(['sessions', 'list', 'alice'])).toMatchObject({ code: 2, err: [expect.stringMatching(/--sqlite PATH or --redis URL/)] })
    expect(await capture(['sessions', 'list', 'alice', '--sqlite', '/nonexistent/dir/x.db'])).toMatchObject({ code: 2, err: [expect.stringMatching(/no SQLite database/)] })
  })
})

describe('hallpass sessions on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-cli-'))
  const file = join(dir, 'sessions.db')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('lists, revokes one, revokes all, and purges', async () => {
    const store = sqliteStore({ database: file, purgeInterval: 0 })
    const [first, second, third] = await signIn(store, 'alice', 3)
    await store.close()
    const listed = await capture(['sessions', 'list', 'alice', '--sqlite', file])
    expect(listed.code).toBe(0)
    expect(listed.out).toHaveLength(3)
    expect(listed.out.join('\n')).toContain(first!)
    expect(listed.out[0]).toMatch(/device-2/)
    expect((await capture(['sessions', 'revoke', 'alice', second!, '--sqlite', file])).out).toEqual(['revoked 1 session'])
    expect((await capture(['sessions', 'revoke', 'bob', third!, '--sqlite', file])).out).toEqual(['revoked 0 sessions'])
    expect((await capture(['sessions', 'revoke', 'alice', '--sqlite', file])).out).toEqual(['revoked 2 sessions'])
    expect((await capture(['sessions', 'list', 'alice', '--sqlite', file])).out).toEqual(['no sessions'])
    expect((await capture(['sessions', 'purge', '--sqlite', file])).out).toEqual(['purged 0 expired sessions'])
  })
})

describe('hallpass sessions on Redis', () => {
  let server: RedisServer
  beforeAll(async () => void (server = await startRedis()))
  afterAll(async () => server?.stop())

  it('lists and revokes through the same key layout the app uses', async () => {
    const client = await createClient({ url: server.url }).connect()
    const ids = await signIn(redisStore({ client, prefix: 'app:' }), 'carol', 2)
    await client.close()
    const listed = await capture(['sessions', 'list', 'carol', '--redis', server.url, '--prefix', 'app:'])
    expect(listed.out.map((line) => line.split('  ')[0]).sort()).toEqual([...ids].sort())
    expect((await capture(['sessions', 'list', 'carol', '--redis', server.url])).out).toEqual(['no sessions'])
    expect((await capture(['sessions', 'revoke', 'carol', '--redis', server.url, '--prefix', 'app:'])).out).toEqual(['revoked 2 sessions'])
    expect((await capture(['sessions', 'purge', '--redis', server.url])).out[0]).toMatch(/expires sessions by itself/)
  })

  it('an unreachable Redis is one clear error line and exit 1', async () => {
    const result = await capture(['sessions', 'list', 'carol', '--redis', 'redis://127.0.0.1:1'])
    expect(result.code).toBe(1)
    expect(result.err).toHaveLength(1)
  })
})
