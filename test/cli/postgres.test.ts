// The CLI on a real PostgreSQL server: migrate (default and named tables), and sessions list/revoke/stats/purge.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../src/cli/index.ts'
import { createSessions } from '../../src/index.ts'
import { postgresStore } from '../../src/stores/postgres/index.ts'
import { testClock } from '../support/clock.ts'
import { startPostgres, type PostgresServer } from '../support/postgres.ts'
import { TEST_SECRET } from '../support/sessions.ts'

let server: PostgresServer
let pool: pg.Pool

beforeAll(async () => {
  server = await startPostgres()
  pool = new pg.Pool({ connectionString: server.url, max: 2 })
  pool.on('error', () => undefined) // a connection the server drops at shutdown, once no store listens
})
afterAll(async () => {
  await pool?.end()
  await server?.stop()
})

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

describe('hallpass migrate and sessions --postgres', () => {
  it('migrate creates the table once, then says it is up to date', async () => {
    expect(await capture(['migrate', '--postgres', server.url])).toEqual({
      code: 0,
      out: ['migrated public.hallpass_sessions from schema version 0 to 1'],
      err: [],
    })
    expect(await capture(['migrate', '--postgres', server.url])).toEqual({
      code: 0,
      out: ['public.hallpass_sessions is already at schema version 1'],
      err: [],
    })
  })

  it('lists, counts, revokes and purges the sessions of a named table', async () => {
    expect(
      (
        await capture([
          'migrate',
          '--postgres',
          server.url,
          '--schema',
          'auth',
          '--table',
          'sessions',
        ])
      ).code,
    ).toBe(0)
    const clock = testClock(Date.now())
    const store = postgresStore({
      client: pool,
      schema: 'auth',
      table: 'sessions',
      purgeIntervalMs: 0,
      clock,
    })
    const sessions = createSessions({ secret: TEST_SECRET, store, cookie: { secure: false } })
    for (let i = 0; i < 3; i++) {
      const session = await sessions.load({ ip: '203.0.113.7', userAgent: `device-${i}` })
      await session.login('erin')
      await session.commit()
    }
    await store.create(
      {
        id: '0000expiredexpiredexpired0',
        userId: null,
        data: {},
        createdAt: 1,
        lastSeenAt: 1,
        expiresAt: 2,
        persistent: false,
        version: 1,
      },
      { ttl: 1 },
    )
    clock.advance(10)
    const flags = ['--postgres', server.url, '--schema', 'auth', '--table', 'sessions']
    const listed = await capture(['sessions', 'list', 'erin', ...flags])
    expect(listed.code).toBe(0)
    expect(listed.out).toHaveLength(3)
    expect(listed.out[0]).toMatch(/203\.0\.113\.7 {2}device-\d$/)
    expect((await capture(['sessions', 'stats', ...flags])).out[0]).toMatch(/^sessions\s+3$/)
    expect((await capture(['sessions', 'purge', ...flags])).out).toEqual([
      'purged 1 expired session',
    ])
    expect((await capture(['sessions', 'revoke', 'erin', ...flags])).out).toEqual([
      'revoked 3 sessions',
    ])
    expect(await store.listByUser('erin')).toEqual([])
    await store.close()
  })

  it('without --schema, where the app table is elsewhere: exit 1 naming the hallpass tables it sees and --schema/--table, never migrate; nothing is created', async () => {
    const app = ['--postgres', server.url, '--schema', 'app', '--table', 'app_sessions']
    expect((await capture(['migrate', ...app])).code).toBe(0)
    const tables = async () =>
      (
        await pool.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
        )
      ).rows[0]?.n
    const before = await tables()
    for (const argv of [
      ['sessions', 'revoke', 'erin', '--postgres', server.url, '--table', 'app_sessions'],
      ['sessions', 'list', 'erin', '--postgres', server.url, '--table', 'nowhere'],
      ['sessions', 'stats', '--postgres', server.url, '--schema', 'nowhere'],
    ]) {
      const result = await capture(argv)
      expect(result.code, argv.join(' ')).toBe(1)
      expect(result.out).toEqual([])
      expect(result.err).toHaveLength(1)
      const message = result.err[0] as string
      expect(message).toMatch(
        /^hallpass: no hallpass session table '[a-z_]+\.[a-z_]+' in the database \(it has /,
      )
      expect(message).toContain(`'app.app_sessions'`)
      expect(message).toContain('pass --schema SCHEMA --table TABLE')
      expect(message).not.toMatch(/migrate/)
    }
    expect(await tables()).toBe(before)
  })

  it('usage errors (exit 2): no URL, a URL of another kind, two stores, --schema without --postgres, a bad --table or --schema, arguments to migrate', async () => {
    for (const argv of [
      ['migrate'],
      ['migrate', '--postgres', 'redis://127.0.0.1:6379'],
      ['sessions', 'stats', '--postgres', server.url, '--sqlite', 'x.db'],
      ['sessions', 'stats', '--sqlite', 'x.db', '--schema', 'auth'],
      ['migrate', 'now', '--postgres', server.url],
      ['migrate', '--postgres', server.url, '--prefix', 'x'],
      ['sessions', 'stats', '--postgres', server.url, '--table', 'Bad-Name'],
      ['sessions', 'stats', '--postgres', server.url, '--schema', 'pg_catalog'],
    ]) {
      expect((await capture(argv)).code, argv.join(' ')).toBe(2)
    }
  })

  it('an unreachable database is exit code 1 with one line, not a hang', async () => {
    const result = await capture([
      'sessions',
      'stats',
      '--postgres',
      'postgres://hallpass@127.0.0.1:1/postgres',
    ])
    expect(result.code).toBe(1)
    expect(result.err).toEqual([expect.stringMatching(/^hallpass: STORE_UNAVAILABLE: /)])
  })
})
