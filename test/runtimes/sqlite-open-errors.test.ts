// Why a SQLite file could not be opened is in the message, with the fix: Deno without file permissions, better-sqlite3 built for another Node.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { startRuntime } from '../support/runtimes.ts'
import { cachedNode } from '../stores/sqlite-drivers/runners.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ENTRY = 'test/runtimes/sqlite-open.ts'
const dir = mkdtempSync(join(tmpdir(), 'hallpass-sqlite-open-'))
const env = { HALLPASS_SQLITE_FILE: join(dir, 'app.db') }
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('Deno without --allow-read/--allow-write: CONFIG_INVALID naming the flags and the DatabaseSync alternative', async () => {
  const deno = await startRuntime('deno', ENTRY, env, ['--allow-env=HALLPASS_SQLITE_FILE'])
  try {
    const result = JSON.parse(deno.ready) as { code: string; message: string }
    expect(result.code).toBe('CONFIG_INVALID')
    // Before: only "could not open the database file", the reason in `cause`.
    expect(result.message).toContain('Requires read access to')
    expect(result.message).toContain('Run Deno with --allow-read --allow-write for this path')
    expect(result.message).toContain('or pass a DatabaseSync you opened')
  } finally {
    await deno.stop()
  }
})

it('better-sqlite3 built for another Node: CONFIG_INVALID saying so, with npm rebuild and node:sqlite as the fixes', async () => {
  // better-sqlite3 is built for the Node running this suite; Node 22 (or 24, on 22) has another NODE_MODULE_VERSION.
  const major = Number(process.versions.node.split('.')[0]) === 22 ? 24 : 22
  const node = cachedNode(major)
  const tsx = ['--import', 'tsx', '--conditions=hallpass-source', ENTRY]
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(node, tsx, { cwd: ROOT, env: { ...process.env, ...env } }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
    ),
  )
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
    code: string
    message: string
  }
  expect(result.code).toBe('CONFIG_INVALID')
  expect(result.message).toMatch(
    /better-sqlite3's native module does not load in this Node \(built for NODE_MODULE_VERSION \d+, this Node needs \d+\)/,
  )
  expect(result.message).toContain('npm rebuild better-sqlite3')
  expect(result.message).toContain("new DatabaseSync(file) from 'node:sqlite'")
}, 60_000)
