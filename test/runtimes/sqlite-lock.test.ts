// Two real Bun servers built on one SQLite file while a third process holds it locked: they start, answer 503, then serve.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { Browser } from '../scenarios/harness/client.ts'
import { startRuntime, type RuntimeProcess } from '../support/runtimes.ts'

const dir = mkdtempSync(join(tmpdir(), 'hallpass-sqlite-lock-'))
const env = { HALLPASS_SQLITE_FILE: join(dir, 'app.db') }
const started: RuntimeProcess[] = []
afterAll(async () => {
  for (const process of started) await process.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function start(entry: string): Promise<RuntimeProcess> {
  const process = await startRuntime('bun', `test/runtimes/${entry}`, env)
  started.push(process)
  return process
}

it('bun:sqlite: a locked database is not a closed one — the servers start, fail closed (503), and serve once the lock goes', async () => {
  const holder = await start('sqlite-lock-holder.ts') // BEGIN EXCLUSIVE on the new file
  // Before: sqliteStore threw CONFIG_INVALID "was given a closed Database" here, and each server exited.
  const servers = [await start('serve-sqlite.ts'), await start('serve-sqlite.ts')]
  const [one, two] = servers.map(
    (server) =>
      new Browser(`http://127.0.0.1:${(JSON.parse(server.ready) as { port: number }).port}`),
  ) as [Browser, Browser]
  for (const browser of [one, two]) {
    const login = await browser.post('/login?user=alice')
    expect(login.status).toBe(503)
    expect(login.setCookies).toEqual([])
  }
  await holder.stop() // the lock goes with the process
  expect((await one.post('/login?user=alice')).status).toBe(200)
  expect((await one.get('/whoami')).json).toEqual({ userId: 'alice' })
  // One file: the other server reads the session the first one wrote.
  expect((await two.get('/whoami', { cookie: one.cookie as string })).json).toEqual({
    userId: 'alice',
  })
  for (const server of servers) expect(server.stderr()).toBe('')
})
