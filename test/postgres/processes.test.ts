// Three app processes on one database (each its own pg Pool): a sign-in on one is seen by the others, and a revoke on
// one ends the session on the others at their next request.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migratePostgres } from '../../src/stores/postgres/index.ts'
import { startPostgres, uniqueTable, type PostgresServer } from '../support/postgres.ts'
import { TEST_SECRET } from '../support/sessions.ts'

const APP = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url))
let server: PostgresServer
const children: ChildProcess[] = []
let bases: string[] = []

/** Starts one app process and resolves with its base URL once it listens. */
async function startProcess(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=hallpass-source', APP], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => void (out += chunk.toString()))
  while (!out.includes('\n')) {
    const [code] = await Promise.race([once(child.stdout!, 'data'), once(child, 'exit')])
    if (typeof code === 'number' || code === null)
      throw new Error(`app process exited early (${String(code)})`)
  }
  return `http://127.0.0.1:${out.trim()}`
}

beforeAll(async () => {
  server = await startPostgres()
  const table = uniqueTable('apps')
  const pool = new pg.Pool({ connectionString: server.url, max: 1 })
  await migratePostgres({ client: pool, table })
  await pool.end()
  const env = { POSTGRES_URL: server.url, POSTGRES_TABLE: table, SESSION_SECRET: TEST_SECRET }
  bases = await Promise.all([0, 1, 2].map(() => startProcess(env)))
}, 120_000)

afterAll(async () => {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }),
  )
  await server?.stop()
})

async function get(
  base: string,
  path: string,
  cookie?: string,
): Promise<{
  body: { pid?: number; userId?: string | null; revoked?: number }
  setCookie: string | undefined
}> {
  const response = await fetch(`${base}${path}`, { headers: cookie ? { cookie } : {} })
  return { body: (await response.json()) as never, setCookie: response.headers.getSetCookie()[0] }
}

it('a revoke in one process ends the session in the other two on their next request', async () => {
  const [a, b, c] = bases as [string, string, string]
  const phone = (await get(a, '/login?user=dana')).setCookie?.split(';')[0]
  const laptop = (await get(c, '/login?user=dana')).setCookie?.split(';')[0]
  expect(phone && laptop).toBeTruthy()
  const pids = new Set<number | undefined>()
  for (const base of bases) {
    const seen = await get(base, '/me', phone)
    expect(seen.body.userId).toBe('dana')
    pids.add(seen.body.pid)
  }
  expect(pids.size).toBe(3) // three processes, not one
  expect((await get(b, '/revoke-all?user=dana')).body.revoked).toBe(2)
  for (const base of [a, c]) {
    expect((await get(base, '/me', phone)).body.userId).toBeNull()
    expect((await get(base, '/me', laptop)).body.userId).toBeNull()
  }
}, 60_000)
