// The CLI: strict arguments, usable secrets, and sessions list/revoke/stats/purge against real SQLite and Redis stores.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessions, type Store } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import { startRedis, type RedisServer } from '../support/redis.ts'
import { TEST_SECRET } from '../support/sessions.ts'
import { testRecord } from '../../src/testing/index.ts'
import { run } from '../../src/cli/index.ts'

async function capture(argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await run(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  )
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

  it('refuses a weak size, unknown commands and a command without a store with usage and exit 2', async () => {
    expect(await capture(['secret', '--bytes', '8'])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/--bytes/)],
    })
    expect(await capture(['nope'])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/unknown command/)],
    })
    expect(await capture(['constructor'])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/unknown command/)],
    })
    expect(await capture(['sessions', 'list', 'alice'])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/--sqlite PATH, --redis URL or --postgres URL/)],
    })
  })

  it('a SQLite file that is not there is a missing store: exit 1 (as the README says), naming --sqlite, creating nothing', async () => {
    for (const action of [['list', 'alice'], ['revoke', 'alice'], ['stats'], ['purge']]) {
      const result = await capture(['sessions', ...action, '--sqlite', '/nonexistent/dir/x.db'])
      expect(result, action.join(' ')).toEqual({
        code: 1,
        out: [],
        err: [
          'hallpass: no SQLite database at /nonexistent/dir/x.db; pass --sqlite PATH, the file the app gives sqliteStore({ database })',
        ],
      })
    }
    expect(existsSync('/nonexistent/dir/x.db')).toBe(false)
  })
})

describe('hallpass arguments (node:util parseArgs, strict)', () => {
  it('--help, -h and help print the usage on stdout and exit 0', async () => {
    for (const argv of [
      ['--help'],
      ['-h'],
      ['help'],
      ['secret', '--help'],
      ['sessions', 'list', '--help'],
    ]) {
      const result = await capture(argv)
      expect(result, argv.join(' ')).toMatchObject({ code: 0, err: [] })
      expect(result.out[0]).toMatch(/^Usage: hallpass <command>/)
      expect(result.out[0]).toContain('sessions stats')
    }
  })

  it('no command at all is a usage error (exit 2)', async () => {
    expect(await capture([])).toMatchObject({
      code: 2,
      out: [],
      err: [expect.stringMatching(/name a command[\s\S]*Usage:/)],
    })
  })

  it('--bytes=64 and --bytes 64 both work', async () => {
    for (const argv of [
      ['secret', '--bytes=64'],
      ['secret', '--bytes', '64'],
    ]) {
      const result = await capture(argv)
      expect(result.code, argv.join(' ')).toBe(0)
      expect(Buffer.from(result.out[0]!, 'base64url')).toHaveLength(64)
    }
  })

  it('a mistyped flag is an error with exit 2, never silently ignored', async () => {
    const result = await capture(['secret', '--byts', '64'])
    expect(result.code).toBe(2)
    expect(result.out).toEqual([])
    expect(result.err[0]).toMatch(/^hallpass: Unknown option '--byts'/)
  })

  it('a flag another command takes, a missing value, stray arguments and a non-number are usage errors', async () => {
    expect(await capture(['secret', '--sqlite', 'x.db'])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/secret does not take --sqlite/)],
    })
    expect(await capture(['sessions', 'stats', '--bytes', '64', '--sqlite', 'x.db'])).toMatchObject(
      { code: 2, err: [expect.stringMatching(/sessions does not take --bytes/)] },
    )
    expect(await capture(['secret', '--bytes'])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/--bytes <value>' argument missing/)],
    })
    expect(await capture(['secret', 'extra'])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/secret takes no arguments/)],
    })
    expect(await capture(['secret', '--bytes=64abc'])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/--bytes must be an integer/)],
    })
    expect(await capture(['secret', '--bytes=0x40'])).toMatchObject({ code: 2 })
  })

  it('a store option goes with its own store flag only; an unknown action fails before a store is opened', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['list', 'a', '--sqlite', 'x.db', '--prefix', 'app:'],
        '--prefix goes with --redis, not --sqlite',
      ],
      [
        ['list', 'a', '--redis', 'redis://127.0.0.1:1', '--table', 't'],
        '--table goes with --sqlite, not --redis',
      ],
      [
        ['list', 'a', '--table', 't'],
        'exactly one of --sqlite PATH, --redis URL or --postgres URL',
      ],
      [
        ['list', 'a', '--sqlite', 'x.db', '--table', 'a-b'],
        '--table must be a plain SQL identifier',
      ],
      [['toString', '--sqlite', '/nonexistent/x.db'], 'unknown sessions action "toString"'],
    ]
    for (const [args, message] of cases) {
      const usage = { code: 2, err: [expect.stringContaining(message)] }
      expect(await capture(['sessions', ...args]), args.join(' ')).toMatchObject(usage)
    }
    const secret = await capture(['secret', '--table', 't'])
    expect(secret).toMatchObject({
      code: 2,
      err: [expect.stringContaining('secret does not take --table')],
    })
  })
})

describe('sessions stats', () => {
  it('counts live sessions, signed-in users, sessions per user and those expiring within the hour (memory store)', async () => {
    let now = 1_700_000_000_000
    const store = memoryStore({ clock: () => now })
    await store.create(testRecord({ userId: 'alice' }), { ttl: 30 * 60_000 })
    await store.create(testRecord({ userId: 'alice' }), { ttl: 2 * 3_600_000 })
    await store.create(testRecord({ userId: 'alice' }), { ttl: 2 * 3_600_000 })
    await store.create(testRecord({ userId: 'bob' }), { ttl: 59 * 60_000 })
    await store.create(testRecord(), { ttl: 5 * 3_600_000 })
    await store.create(testRecord({ userId: 'dora' }), { ttl: 1_000 })
    now += 2_000 // dora's session has expired: it no longer counts
    expect(await store.stats!(3_600_000)).toEqual({
      sessions: 5,
      users: 2,
      anonymous: 1,
      maxPerUser: 3,
      expiring: 2,
    })
    await store.close()
  })
})

describe('hallpass sessions on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-cli-'))
  const file = join(dir, 'sessions.db')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('lists, revokes one, revokes all, and purges', async () => {
    const store = sqliteStore({ database: file, purgeIntervalMs: 0 })
    const [first, second, third] = await signIn(store, 'alice', 3)
    await store.close()
    const listed = await capture(['sessions', 'list', 'alice', '--sqlite', file])
    expect(listed.code).toBe(0)
    expect(listed.out).toHaveLength(3)
    expect(listed.out.join('\n')).toContain(first!)
    expect(listed.out[0]).toMatch(/device-2/)
    expect((await capture(['sessions', 'revoke', 'alice', second!, '--sqlite', file])).out).toEqual(
      ['revoked 1 session'],
    )
    // Another user's session, or an id that is not there: exit 1 and say so, nothing revoked.
    for (const [user, id] of [
      ['bob', third!],
      ['alice', 'nosuchid'],
    ] as const) {
      const missing = await capture(['sessions', 'revoke', user, id, '--sqlite', file])
      expect(missing.code).toBe(1)
      expect(missing.out).toEqual([])
      expect(missing.err.join('\n')).toContain(`no live session ${id} of user ${user}`)
    }
    expect((await capture(['sessions', 'revoke', 'alice', '--sqlite', file])).out).toEqual([
      'revoked 2 sessions',
    ])
    expect((await capture(['sessions', 'list', 'alice', '--sqlite', file])).out).toEqual([
      'no sessions',
    ])
    expect((await capture(['sessions', 'purge', '--sqlite', file])).out).toEqual([
      'purged 0 expired sessions',
    ])
  })

  it('list reads through a read-only connection: a corrupt row is skipped and left for the app to delete', async () => {
    const corrupt = join(dir, 'corrupt.db')
    const store = sqliteStore({ database: corrupt, purgeIntervalMs: 0 })
    const [broken] = await signIn(store, 'ivan', 2)
    await store.close()
    const db = new Database(corrupt)
    db.prepare('UPDATE hallpass_sessions SET data = ? WHERE id = ?').run('{not json', broken)
    db.close()
    const listed = await capture(['sessions', 'list', 'ivan', '--sqlite', corrupt])
    expect(listed).toMatchObject({ code: 0, err: [] })
    expect(listed.out).toHaveLength(1)
    expect(listed.out[0]).not.toContain(broken)
    const after = new Database(corrupt, { readonly: true })
    expect(
      after.prepare('SELECT data FROM hallpass_sessions WHERE id = ?').pluck().get(broken),
    ).toBe('{not json')
    after.close()
  })

  it('stats: sessions, signed-in users, sessions per user, expiring within the hour', async () => {
    const store = sqliteStore({ database: file, purgeIntervalMs: 0 })
    await signIn(store, 'dave', 3)
    await signIn(store, 'erin', 1)
    const anonymous = await createSessions({
      secret: TEST_SECRET,
      store,
      cookie: { secure: false },
    }).load({})
    anonymous.set('cart', ['book'])
    await anonymous.commit()
    await store.close()
    const result = await capture(['sessions', 'stats', '--sqlite', file])
    expect(result.code).toBe(0)
    // Default idle timeout 30 minutes: every session ends within the hour unless it is used again.
    expect(result.out).toEqual([
      'sessions             5',
      'signed-in users      2',
      'sessions per user    2 on average, 3 at most',
      'anonymous sessions   1',
      'expiring within 1 h  5',
    ])
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
    const listed = await capture([
      'sessions',
      'list',
      'carol',
      '--redis',
      server.url,
      '--prefix',
      'app:',
    ])
    expect(listed.out.map((line) => line.split('  ')[0]).sort()).toEqual([...ids].sort())
    const wrongPrefix = await capture(['sessions', 'list', 'carol', '--redis', server.url])
    const message = expect.stringMatching(/under prefix 'hp:' .*'app:'.*pass --prefix PREFIX/)
    expect(wrongPrefix).toMatchObject({ code: 1, out: [], err: [message] })
    const purge = await capture(['sessions', 'purge', '--redis', server.url, '--prefix', 'app:'])
    expect(purge.out[0]).toMatch(/expires sessions by itself/)
    expect(
      (await capture(['sessions', 'revoke', 'carol', '--redis', server.url, '--prefix', 'app:']))
        .out,
    ).toEqual(['revoked 2 sessions'])
  })

  it('stats scans only its prefix and skips the user indexes', async () => {
    const client = await createClient({ url: server.url }).connect()
    await signIn(redisStore({ client, prefix: 'st:' }), 'frank', 2)
    await signIn(redisStore({ client, prefix: 'st:' }), 'gina', 1)
    await signIn(redisStore({ client, prefix: 'other:' }), 'hank', 4)
    await client.set('st:unrelated', 'x')
    await client.close()
    const result = await capture(['sessions', 'stats', '--redis', server.url, '--prefix', 'st:'])
    expect(result.code).toBe(0)
    expect(result.out.slice(0, 3)).toEqual([
      'sessions             3',
      'signed-in users      2',
      'sessions per user    1.5 on average, 2 at most',
    ])
    expect(result.out[4]).toBe('expiring within 1 h  3')
  })

  it('an unreachable Redis is one clear error line and exit 1', async () => {
    const result = await capture(['sessions', 'list', 'carol', '--redis', 'redis://127.0.0.1:1'])
    expect(result.code).toBe(1)
    expect(result.err).toHaveLength(1)
  })
})
