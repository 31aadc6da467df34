// The built `hallpass` binary against an app's own store (its SQLite table, its Redis prefix) and unrelated files.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessions, type Store } from '../../src/index.ts'
import { redisStore } from '../../src/stores/redis/index.ts'
import { sqliteStore } from '../../src/stores/sqlite.ts'
import { buildLibrary } from '../frameworks/harness.ts'
import { startRedis, type RedisServer } from '../support/redis.ts'
import { cookiePair, TEST_SECRET } from '../support/sessions.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** A hang guard for tests that start the binary several times: each start loads node and a driver on a busy machine. */
const RUNS = 120_000
const dir = mkdtempSync(join(tmpdir(), 'hallpass-cli-app-'))
let bin: string

/** The package's binary as `npx hallpass` runs it: dist/ as `npm run build` makes it, built again only when src/ changed. */
beforeAll(async () => {
  await buildLibrary()
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    bin: { hallpass: string }
  }
  bin = join(ROOT, pkg.bin.hallpass)
}, 120_000) // a hang guard: tsc on a busy 2-core machine when src/ changed since the last build

afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Result {
  code: number
  stdout: string
  stderr: string
}

function exec(command: string, args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: dir }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

/** Runs the built binary as `npx hallpass` would. */
function hallpass(...args: string[]): Promise<Result> {
  return exec(process.execPath, [bin, ...args])
}

/** Signs `userId` in `count` times through the manager, as `count` browsers would; resolves to their cookies. */
async function signIn(store: Store, userId: string, count: number): Promise<string[]> {
  const sessions = createSessions({ secret: TEST_SECRET, store, cookie: { secure: false } })
  const cookies: string[] = []
  for (let i = 0; i < count; i++) {
    const session = await sessions.load({ ip: '203.0.113.9', userAgent: `browser-${i}` })
    await session.login(userId)
    cookies.push(cookiePair((await session.commit()).cookies[0]))
  }
  return cookies
}

/** Who each cookie signs in now, loaded through the manager (null: anonymous). */
async function usersOf(store: Store, cookies: string[]): Promise<Array<string | null>> {
  const sessions = createSessions({ secret: TEST_SECRET, store, cookie: { secure: false } })
  return Promise.all(cookies.map(async (cookie) => (await sessions.load({ cookie })).userId))
}

/** Everything a command could change in a SQLite file: its bytes, journal mode, schema, and the files beside it. */
function sqliteState(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  const state = {
    bytes: readFileSync(file).toString('base64'),
    journalMode: db.pragma('journal_mode', { simple: true }),
    schema: db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(),
  }
  db.close()
  return state
}

describe('hallpass sessions --sqlite against an app that names its table', () => {
  const file = join(dir, 'app.db')
  let alice: string[]
  let bob: string[]

  beforeAll(async () => {
    const store = sqliteStore({ database: file, table: 'app_sessions', purgeIntervalMs: 0 })
    alice = await signIn(store, 'alice', 2)
    bob = await signIn(store, 'bob', 1)
    await store.close()
  })

  it(
    'without --table: exit 1 naming --table and the table the file has; the file is byte-identical',
    async () => {
      for (const action of [['revoke', 'alice'], ['list', 'alice'], ['stats'], ['purge']]) {
        const before = sqliteState(file)
        const result = await hallpass('sessions', ...action, '--sqlite', file)
        expect(result, action.join(' ')).toMatchObject({ code: 1, stdout: '' })
        const message = `no hallpass session table 'hallpass_sessions' in ${file} (it has 'app_sessions'); pass --table`
        expect(result.stderr).toContain(message)
        expect(sqliteState(file)).toEqual(before)
      }
      // A read-only reader of an idle WAL file leaves SQLite's empty -wal and -shm beside it (this test's own reads too).
      expect(readFileSync(`${file}-wal`)).toHaveLength(0)
    },
    RUNS,
  )

  it(
    'list and stats with --table read the sessions and leave the file as it was',
    async () => {
      const before = sqliteState(file)
      const listed = await hallpass(
        'sessions',
        'list',
        'alice',
        '--sqlite',
        file,
        '--table',
        'app_sessions',
      )
      expect(listed.code).toBe(0)
      expect(listed.stdout.trim().split('\n')).toHaveLength(2)
      const stats = await hallpass('sessions', 'stats', '--sqlite', file, '--table=app_sessions')
      expect(stats.stdout).toMatch(/^sessions {13}3\nsigned-in users {6}2\n/)
      expect(sqliteState(file)).toEqual(before)
    },
    RUNS,
  )

  it(
    'revoke with --table ends the user’s sessions: their cookies now load as anonymous',
    async () => {
      const result = await hallpass(
        'sessions',
        'revoke',
        'alice',
        '--sqlite',
        file,
        '--table',
        'app_sessions',
      )
      expect(result).toMatchObject({ code: 0, stdout: 'revoked 2 sessions\n', stderr: '' })
      const store = sqliteStore({ database: file, table: 'app_sessions', purgeIntervalMs: 0 })
      expect(await usersOf(store, [...alice, ...bob])).toEqual([null, null, 'bob'])
      await store.close()
    },
    RUNS,
  )
})

describe('hallpass sessions --sqlite against a file that is not a session store', () => {
  const file = join(dir, 'unrelated.db')

  beforeAll(() => {
    const db = new Database(file)
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)')
    db.prepare('INSERT INTO users (email) VALUES (?)').run('a@example.com')
    db.close()
  })

  it(
    'every action exits 1 and leaves the bytes, the journal mode (not WAL) and the schema as they were',
    async () => {
      const runs = [
        ['list', 'alice'],
        ['stats', '--table', 'app_sessions'],
        ['revoke', 'alice'],
        ['revoke', 'alice', '--table', 'users'],
        ['purge'],
      ]
      for (const args of runs) {
        const before = sqliteState(file)
        expect(before.journalMode).toBe('delete')
        const result = await hallpass('sessions', ...args, '--sqlite', file)
        expect(result, args.join(' ')).toMatchObject({ code: 1, stdout: '' })
        expect(result.stderr).toMatch(
          / in .*unrelated\.db \(it has no hallpass session table\); pass --table NAME/,
        )
        const users = "table 'users' is not a hallpass session table (no user_id, data,"
        if (args.includes('users')) expect(result.stderr).toContain(users)
        expect(sqliteState(file)).toEqual(before)
      }
      expect(readdirSync(dir).filter((name) => name.startsWith('unrelated'))).toEqual([
        'unrelated.db',
      ])
    },
    RUNS,
  )
})

describe('hallpass sessions --redis against an app that names its prefix', () => {
  let server: RedisServer
  let client: ReturnType<typeof createClient>
  let alice: string[]
  let bob: string[]

  /** Every key on the server with its serialized value (DUMP), sorted: what a command could have changed. */
  async function keyspace(): Promise<Array<[string, string]>> {
    const keys = (await client.keys('*')).sort()
    const dump = async (key: string): Promise<[string, string]> => [
      key,
      `${await client.sendCommand(['DUMP', key])}`,
    ]
    return Promise.all(keys.map(dump))
  }

  beforeAll(async () => {
    server = await startRedis()
    client = await createClient({ url: server.url }).connect()
    const store = redisStore({ client, prefix: 'shop:' })
    alice = await signIn(store, 'alice', 2)
    bob = await signIn(store, 'bob', 1)
    await client.set('cache:home', 'unrelated')
  })
  afterAll(async () => {
    await client?.close()
    await server?.stop()
  })

  it(
    'without --prefix: exit 1 naming --prefix and the prefix that holds sessions; nothing changes',
    async () => {
      const before = await keyspace()
      for (const action of [['revoke', 'alice'], ['list', 'alice'], ['stats'], ['purge']]) {
        const result = await hallpass('sessions', ...action, '--redis', server.url)
        expect(result, action.join(' ')).toMatchObject({ code: 1, stdout: '' })
        const message =
          "no hallpass sessions under prefix 'hp:' (hallpass keys are under 'shop:'); pass --prefix PREFIX"
        expect(result.stderr).toContain(message)
      }
      const other = await hallpass(
        'sessions',
        'revoke',
        'alice',
        '--redis',
        server.url,
        '--prefix',
        'cache:',
      )
      expect(other).toMatchObject({ code: 1 })
      expect(other.stderr).toContain("no hallpass sessions under prefix 'cache:'")
      expect(await keyspace()).toEqual(before)
    },
    RUNS,
  )

  it(
    'list and stats with --prefix read the sessions and change nothing',
    async () => {
      const before = await keyspace()
      const listed = await hallpass(
        'sessions',
        'list',
        'alice',
        '--redis',
        server.url,
        '--prefix',
        'shop:',
      )
      expect(listed.code).toBe(0)
      expect(listed.stdout.trim().split('\n')).toHaveLength(2)
      const stats = await hallpass('sessions', 'stats', '--redis', server.url, '--prefix=shop:')
      expect(stats.stdout).toMatch(/^sessions {13}3\nsigned-in users {6}2\n/)
      expect(await keyspace()).toEqual(before)
    },
    RUNS,
  )

  it(
    'revoke with --prefix ends the user’s sessions: their cookies now load as anonymous',
    async () => {
      const result = await hallpass(
        'sessions',
        'revoke',
        'alice',
        '--redis',
        server.url,
        '--prefix',
        'shop:',
      )
      expect(result).toMatchObject({ code: 0, stdout: 'revoked 2 sessions\n', stderr: '' })
      expect(await usersOf(redisStore({ client, prefix: 'shop:' }), [...alice, ...bob])).toEqual([
        null,
        null,
        'bob',
      ])
      expect(await client.get('cache:home')).toBe('unrelated')
    },
    RUNS,
  )
})
