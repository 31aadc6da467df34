// The `hallpass` command as a process: exit codes and streams, and a path with a space in it (test/release/pack.test.ts runs npx hallpass).
import { execFile, spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'hallpass cli ')) // "My Projects/app": a space in the path
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the hallpass process', () => {
  it('runs from a path that contains a space: secret prints a secret and exits 0', async () => {
    const copy = join(dir, 'my app', 'src')
    cpSync(join(ROOT, 'src'), copy, { recursive: true })
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(copy, 'cli', 'index.ts'), 'secret'],
      { cwd: ROOT },
    )
    expect(stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('exit codes: --help 0 on stdout, a mistyped flag 2 with a message on stderr', async () => {
    const cli = [
      '--conditions=hallpass-source',
      '--import',
      'tsx',
      join(ROOT, 'src', 'cli', 'index.ts'),
    ]
    const help = spawnSync(process.execPath, [...cli, '--help'], { cwd: ROOT, encoding: 'utf8' })
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/^Usage: hallpass/)
    const typo = spawnSync(process.execPath, [...cli, 'secret', '--byts', '64'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
    expect(typo.status).toBe(2)
    expect(typo.stdout).toBe('')
    expect(typo.stderr).toMatch(/Unknown option '--byts'/)
  })
})
