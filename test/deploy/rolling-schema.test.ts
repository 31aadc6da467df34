// A rolling deploy that renames and tightens a session field (#27.3): the old deploy (data version 1) and the new one
// (version 2, with its migration) run as two OS processes on one Redis, on one SQLite file, and on one Postgres table
// (test/postgres/data-version.test.ts has the Postgres store's own cases). A client with a cookie
// jar per user sends reads, writes and logins alternating between them; nobody is signed out, no acknowledged write is
// lost, and once the old process is stopped every record the store holds is in the new shape.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { createClient } from 'redis'
import { afterAll, describe, expect, it } from 'vitest'
import { migratePostgres } from '../../src/stores/postgres/index.ts'
import { startPostgres, type PostgresServer } from '../support/postgres.ts'
import { startRedis, type RedisServer } from '../support/redis.ts'
import { TEST_SECRET } from '../support/sessions.ts'

const APP = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url))
const USERS = 30
const ROUNDS = 300
const PER_ROUND = 4

/** One app process: its data version, its base URL, and how to stop it (SIGTERM, as a deploy does). */
interface Deploy {
  readonly version: 1 | 2
  readonly base: string
  stop(): Promise<void>
}

const children = new Set<ChildProcess>()
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
})

async function startDeploy(version: 1 | 2, env: Record<string, string>): Promise<Deploy> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=hallpass-source', APP], {
    env: { ...process.env, ...env, SESSION_SECRET: TEST_SECRET, DATA_VERSION: String(version) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(child)
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => void (out += chunk.toString()))
  while (!out.includes('\n')) {
    const [code] = await Promise.race([once(child.stdout!, 'data'), once(child, 'exit')])
    if (typeof code === 'number' || code === null)
      throw new Error(`deploy ${version} exited early (${String(code)})`)
  }
  return {
    version,
    base: `http://127.0.0.1:${out.trim()}`,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** A reproducible stream of numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** What the client knows about one user: its cookie jar, and the data its acknowledged writes left. */
interface User {
  readonly id: string
  jar: Map<string, string>
  name: string | undefined
  /** The plan as last stored: as typed by the old deploy, lowercase by the new one. */
  plan: string | undefined
  notes: string[]
}

interface Reply {
  readonly status: number
  readonly body: {
    version?: number
    userId?: string | null
    newer?: boolean
    name?: unknown
    plan?: unknown
    notes?: unknown
  }
}

/** Tallies of one run, for the assertions and the log line. */
interface Tally {
  requests: number
  conflicts: number
  newerReads: number
}

/** The plan as the new deploy's schema holds it. */
function tightened(plan: string | undefined): string | undefined {
  return plan === undefined ? undefined : plan.toLowerCase() === 'pro' ? 'pro' : 'free'
}

/** One request as `user`, with its cookies; fails the test on a cleared cookie or a reply that signed the user out. */
async function call(deploy: Deploy, path: string, user: User, tally: Tally): Promise<Reply> {
  const cookie = [...user.jar].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${deploy.base}${path}`, { headers: cookie ? { cookie } : {} })
  tally.requests++
  for (const set of response.headers.getSetCookie()) {
    const [pair = ''] = set.split(';')
    const at = pair.indexOf('=')
    expect(/max-age=0/i.test(set), `a cookie of ${user.id} was cleared on ${path}`).toBe(false)
    user.jar.set(pair.slice(0, at), pair.slice(at + 1))
  }
  const body = (await response.json().catch(() => ({}))) as Reply['body']
  if (response.status === 409) {
    // Only the old deploy may refuse a write, and only to data the new one wrote: retry elsewhere.
    expect(deploy.version, `409 from the new deploy on ${path}`).toBe(1)
    tally.conflicts++
    return { status: 409, body }
  }
  expect(response.status, `${path} on deploy ${deploy.version}: ${JSON.stringify(body)}`).toBe(200)
  expect(body.userId, `${user.id} was signed out on deploy ${deploy.version}`).toBe(user.id)
  return { status: 200, body }
}

/** A read: the data this deploy shows must be the model's, in this deploy's shape (or hidden, on the old one). */
async function read(deploy: Deploy, user: User, tally: Tally): Promise<void> {
  const { body } = await call(deploy, '/me', user, tally)
  if (body.newer) {
    expect(deploy.version).toBe(1)
    tally.newerReads++
    expect([body.name, body.plan, body.notes]).toEqual([undefined, undefined, undefined])
    return
  }
  expect(body.name).toEqual(user.name)
  expect(body.plan).toEqual(deploy.version === 1 ? user.plan : tightened(user.plan))
  expect([...((body.notes as string[] | undefined) ?? [])].sort()).toEqual([...user.notes].sort())
}

/** One random operation by `user` on `deploy`, and the model updated for what the deploy acknowledged. */
async function operate(
  deploy: Deploy,
  user: User,
  next: () => number,
  step: string,
  tally: Tally,
): Promise<void> {
  const pick = next()
  if (pick < 0.35) return read(deploy, user, tally)
  if (pick < 0.55) {
    const name = `${user.id} ${step}`
    const reply = await call(deploy, `/name?value=${encodeURIComponent(name)}`, user, tally)
    if (reply.status === 200) user.name = name
    return
  }
  if (pick < 0.7) {
    const typed = ['Pro', 'PRO', 'pro', 'free', 'Free'][Math.floor(next() * 5)] as string
    const reply = await call(deploy, `/plan?value=${typed}`, user, tally)
    if (reply.status === 200) user.plan = deploy.version === 1 ? typed : typed.toLowerCase()
    return
  }
  if (pick < 0.92) {
    const note = `n${step}`
    const reply = await call(deploy, `/note?value=${note}`, user, tally)
    if (reply.status === 200) user.notes.push(note)
    return
  }
  // Signs in again: a new id (the old one a tombstone), the data kept.
  await call(deploy, `/login?value=${user.id}`, user, tally)
  return read(deploy, user, tally)
}

/** The session records the store holds (tombstones left out): user id, data version and data. */
interface StoredSession {
  readonly userId: string | null
  readonly dataVersion: number
  readonly data: Record<string, unknown>
}

/** The whole rolling deploy on one store: both deploys, the rounds, the end of the deploy, the records checked. */
async function rollingDeploy(
  env: Record<string, string>,
  records: () => Promise<StoredSession[]>,
): Promise<Tally> {
  const old = await startDeploy(1, env)
  const fresh = await startDeploy(2, env)
  const deploys = [old, fresh] as const
  const next = random(27_03)
  const tally: Tally = { requests: 0, conflicts: 0, newerReads: 0 }
  const users: User[] = Array.from({ length: USERS }, (_, i) => ({
    id: `user-${i}`,
    jar: new Map(),
    name: undefined,
    plan: undefined,
    notes: [],
  }))
  // Sessions created on both sides, with data in each side's shape.
  await Promise.all(
    users.map(async (user, i) => {
      const deploy = deploys[i % 2] as Deploy
      await call(deploy, `/login?value=${user.id}`, user, tally)
      await call(deploy, `/name?value=${user.id}`, user, tally)
      user.name = user.id
    }),
  )
  for (let round = 0; round < ROUNDS; round++) {
    const chosen = new Set<User>()
    while (chosen.size < PER_ROUND) chosen.add(users[Math.floor(next() * USERS)] as User)
    const work = [...chosen].map((user, i) =>
      operate(deploys[(round + i) % 2] as Deploy, user, next, `${round}-${i}`, tally),
    )
    if (round % 7 === 0) {
      // One user's two requests at once, one on each deploy: both notes stay, unless the old deploy refused its own.
      const pair = users.find((user) => !chosen.has(user)) as User
      const note = async (deploy: Deploy): Promise<void> => {
        const value = `p${round}-${deploy.version}`
        const reply = await call(deploy, `/note?value=${value}`, pair, tally)
        if (reply.status === 200) pair.notes.push(value)
      }
      work.push(Promise.all([note(old), note(fresh)]).then(() => undefined))
    }
    await Promise.all(work)
  }
  // The end of the deploy: the old process stops; each user comes back once and writes.
  await old.stop()
  for (const user of users) {
    const reply = await call(fresh, '/note?value=final', user, tally)
    expect(reply.status).toBe(200)
    user.notes.push('final')
    await read(fresh, user, tally)
  }
  await fresh.stop()
  const stored = await records()
  expect(stored.map((record) => record.userId).sort()).toEqual(users.map((u) => u.id).sort())
  for (const record of stored) {
    const user = users.find((u) => u.id === record.userId) as User
    expect(record.dataVersion).toBe(2)
    expect(Object.keys(record.data).sort()).toEqual(
      ['displayName', 'notes', ...(user.plan === undefined ? [] : ['plan'])].sort(),
    )
    expect(record.data['displayName']).toBe(user.name)
    expect(record.data['plan']).toBe(tightened(user.plan))
    expect([...(record.data['notes'] as string[])].sort()).toEqual([...user.notes].sort())
  }
  // The run met the cases it is about: sessions the old deploy saw upgraded, and its refused writes.
  expect(tally.newerReads).toBeGreaterThan(0)
  expect(tally.conflicts).toBeGreaterThan(0)
  const on = env.REDIS_URL ? 'Redis' : env.POSTGRES_URL ? 'Postgres' : 'SQLite'
  console.log(`rolling deploy on ${on}: ${JSON.stringify(tally)}`)
  return tally
}

describe('a rolling deploy from data version 1 to 2 signs nobody out and ends in the new shape', () => {
  let redis: RedisServer | undefined
  let postgres: PostgresServer | undefined
  let dir: string | undefined
  afterAll(async () => {
    await redis?.stop()
    await postgres?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('on one Redis', async () => {
    redis = await startRedis()
    const url = redis.url
    await rollingDeploy({ REDIS_URL: url }, async () => {
      const client = await createClient({ url }).connect()
      try {
        const sessions: StoredSession[] = []
        for await (const keys of client.scanIterator({ MATCH: 'hp:*', COUNT: 1000 })) {
          for (const key of Array.isArray(keys) ? keys : [keys]) {
            if (key.includes('}u:')) continue // a user's index
            const hash = await client.hGetAll(key)
            if (hash['v'] === '0') continue // a rotation tombstone
            const data: Record<string, unknown> = {}
            for (const [field, value] of Object.entries(hash))
              if (field.startsWith('.')) data[field.slice(1)] = JSON.parse(value)
            sessions.push({ userId: hash['u'] ?? null, dataVersion: Number(hash['d'] ?? 1), data })
          }
        }
        return sessions
      } finally {
        await client.quit()
      }
    })
  }, 120_000)

  it('on one SQLite file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hallpass-deploy-'))
    const file = join(dir, 'sessions.db')
    await rollingDeploy({ SQLITE_FILE: file }, async () => {
      const db = new Database(file, { readonly: true })
      try {
        const rows = db
          .prepare('SELECT user_id, data, data_version FROM hallpass_sessions WHERE version > 0')
          .all() as Array<{ user_id: string | null; data: string; data_version: number | null }>
        return rows.map((row) => ({
          userId: row.user_id,
          dataVersion: row.data_version ?? 1,
          data: JSON.parse(row.data) as Record<string, unknown>,
        }))
      } finally {
        db.close()
      }
    })
  }, 120_000)

  it('on one Postgres table', async () => {
    postgres = await startPostgres()
    const url = postgres.url
    const table = 'rolling_sessions'
    const pool = new pg.Pool({ connectionString: url, max: 1 })
    pool.on('error', () => undefined)
    try {
      await migratePostgres({ client: pool, table })
      await rollingDeploy({ POSTGRES_URL: url, POSTGRES_TABLE: table }, async () => {
        const { rows } = await pool.query<{ user_id: string | null; data: string; v: number }>(
          `SELECT user_id, data::text AS data, coalesce(data_version, 1) AS v FROM "${table}" WHERE version > 0`,
        )
        return rows.map((row) => ({
          userId: row.user_id,
          dataVersion: row.v,
          data: JSON.parse(row.data) as Record<string, unknown>,
        }))
      })
    } finally {
      await pool.end()
    }
  }, 120_000)
})
