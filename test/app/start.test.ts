// `npm start` exactly as the README runs it: killing that PID (SIGTERM or SIGINT) stops the server, frees the port, exits 0.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'hallpass-start-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Whether something still listens on the port (a listen attempt fails with EADDRINUSE). */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(true))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)))
  })
}

describe('npm start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops on ${signal} sent to the PID of npm start: store and HTTP server closed, port free, exit 0`, async () => {
      const port = await freePort()
      const database = join(dir, `${signal}.db`)
      const child = spawn('npm', ['start'], {
        cwd: ROOT,
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: database },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => resolve(code)),
      )
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => output.includes('hallpass demo is running') && resolve())
        void exited.then(() => reject(new Error(`npm start exited early:\n${output}`)))
      })
      // A kept-alive connection must not hold the server open.
      const page = await fetch(`http://127.0.0.1:${port}/login`)
      expect(page.status).toBe(200)
      expect(await portInUse(port)).toBe(true)
      process.kill(child.pid as number, signal)
      expect(await exited, output).toBe(0)
      expect(await portInUse(port)).toBe(false)
      // SQLite removes the WAL file when the last connection closes cleanly: the store was closed, not abandoned.
      expect(existsSync(database)).toBe(true)
      expect(existsSync(`${database}-wal`)).toBe(false)
    }, 60_000)
  }
})
