// SQLite store behind the real manager: concurrent updates, login rotation with a cap, revocation, and two processes' worth of connections.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createSessions, type Sessions } from '../../src/index.ts'
import { sqliteStore, type SqliteStore } from '../../src/stores/sqlite.ts'

const SECRET = 'k3y-for-tests-0123456789-abcdefghijklmnop'
type Counter = { n: number; tags: string[] }
const opened: { store: SqliteStore; db?: Database.Database }[] = []
const dirs: string[] = []

function manager(
  store: SqliteStore,
  extra: { maxSessionsPerUser?: number } = {},
): Sessions<Counter> {
  return createSessions<Counter>({
    secret: SECRET,
    store,
    cookie: { secure: false, name: 'hp' },
    ...extra,
  })
}
function fileStore(file: string): SqliteStore {
  const db = new Database(file)
  const store = sqliteStore({ database: db })
  opened.push({ store, db })
  return store
}
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-sqlite-'))
  dirs.push(dir)
  return join(dir, 'app.db')
}
/** `name=value` from a Set-Cookie line, as the browser sends it back. */
function cookiePair(setCookie: string | undefined): string {
  if (!setCookie) throw new Error('no Set-Cookie was issued')
  return setCookie.split(';')[0] as string
}
async function start(
  sessions: Sessions<Counter>,
  userId?: string,
  rememberMe = false,
): Promise<string> {
  const session = await sessions.load({})
  if (userId === undefined) session.set('n', 0)
  else await session.login(userId, { rememberMe })
  return cookiePair((await session.commit()).cookies[0])
}

afterEach(async () => {
  for (const { store, db } of opened.splice(0)) {
    await store.close()
    db?.close()
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('sqliteStore with createSessions', () => {
  it('100 concurrent session.update increments end at 100', async () => {
    const store = sqliteStore({ database: ':memory:' })
    opened.push({ store })
    const sessions = manager(store)
    const cookie = await start(sessions)
    const results: string[] = []
    const patch = store.patch.bind(store)
    store.patch = async (id, change) => {
      const result = await patch(id, change)
      results.push(result)
      return result
    }
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        const session = await sessions.load({ cookie })
        await session.update((draft) => {
          draft.n = (draft.n ?? 0) + 1
        })
        await session.commit()
      }),
    )
    const final = await sessions.load({ cookie })
    expect(final.get('n')).toBe(100)
    expect(results.filter((r) => r === 'ok')).toHaveLength(100)
    expect(results).not.toContain('conflict') // one process: updates of a session are serialized, no round is lost
  }, 60_000)

  it('100 concurrent increments split over two store instances on one WAL file end at 100', async () => {
    const file = tempFile()
    const [a, b] = [manager(fileStore(file)), manager(fileStore(file))] as const
    const cookie = await start(a)
    await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const session = await (i % 2 === 0 ? a : b).load({ cookie })
        await session.update((draft) => {
          draft.n = (draft.n ?? 0) + 1
        })
        await session.commit()
      }),
    )
    expect((await b.load({ cookie })).get('n')).toBe(100)
  }, 60_000)

  it('concurrent requests setting different keys both persist', async () => {
    const sessions = manager(fileStore(tempFile()))
    const cookie = await start(sessions)
    const [first, second] = await Promise.all([
      sessions.load({ cookie }),
      sessions.load({ cookie }),
    ])
    first.set('n', 5)
    second.set('tags', ['x'])
    await Promise.all([first.commit(), second.commit()])
    const after = await sessions.load({ cookie })
    expect(after.data).toEqual({ n: 5, tags: ['x'] })
  })

  it('login replaces the anonymous record, and sessions survive a restart on the same file', async () => {
    const file = tempFile()
    const before = manager(fileStore(file))
    const anonymous = await start(before)
    const session = await before.load({ cookie: anonymous })
    await session.login('alice')
    const cookie = cookiePair((await session.commit()).cookies[0])
    expect((await before.load({ cookie: anonymous })).isNew).toBe(true)

    const after = manager(fileStore(file)) // a new process on the same database
    const reloaded = await after.load({ cookie })
    expect(reloaded.userId).toBe('alice')
    expect(reloaded.get('n')).toBe(0)
    expect((await after.listSessions('alice')).map((s) => s.id)).toEqual([reloaded.id])
  })

  it('a login over maxSessionsPerUser evicts the oldest device, never the new one', async () => {
    const sessions = manager(fileStore(tempFile()), { maxSessionsPerUser: 2 })
    const phone = await start(sessions, 'bob', true)
    const laptop = await start(sessions, 'bob', true)
    const kiosk = await start(sessions, 'bob', false) // shorter-lived than the two remember-me sessions
    expect((await sessions.load({ cookie: kiosk })).userId).toBe('bob')
    expect((await sessions.load({ cookie: laptop })).userId).toBe('bob')
    expect((await sessions.load({ cookie: phone })).isAuthenticated).toBe(false)
    expect(await sessions.listSessions('bob')).toHaveLength(2)
  })

  it('log out everywhere revokes the other sessions, and a request in flight cannot bring one back', async () => {
    const sessions = manager(fileStore(tempFile()))
    const keep = await start(sessions, 'carol')
    const other = await start(sessions, 'carol')
    const inFlight = await sessions.load({ cookie: other })
    const current = await sessions.load({ cookie: keep })
    expect(await sessions.revokeUserSessions('carol', { except: current.id })).toBe(1)
    inFlight.set('n', 99)
    await inFlight.commit()
    expect((await sessions.load({ cookie: other })).isAuthenticated).toBe(false)
    expect((await sessions.listSessions('carol')).map((s) => s.id)).toEqual([current.id])
  })
})
