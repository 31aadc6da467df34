// `npm test`'s pretest step: on a machine without the tools it stops at once with the exact install command.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SCRIPT = join(ROOT, 'scripts', 'test-setup.mjs')
const root = process.getuid?.() === 0

describe('npm test setup (pretest)', () => {
  const bin = mkdtempSync(join(tmpdir(), 'hallpass-setup-'))
  chmodSync(bin, 0o755) // readable by `nobody` below
  symlinkSync(process.execPath, join(bin, 'node')) // a PATH with node and nothing else
  afterAll(() => rmSync(bin, { recursive: true, force: true }))

  it('is the pretest of npm test', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    expect(pkg.scripts.pretest).toBe('node scripts/test-setup.mjs')
  })

  it('passes silently when everything is installed', () => {
    const result = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it('without the tools and without root, stops at once with the exact apt-get command', () => {
    // As root, run it as `nobody` so it cannot install anything; otherwise we already are not root.
    const result = spawnSync(join(bin, 'node'), [SCRIPT], {
      encoding: 'utf8',
      env: { PATH: bin },
      ...(root && { uid: 65534, gid: 65534 }),
    })
    expect(result.status).toBe(1)
    expect(result.stdout).not.toMatch(/apt-get/) // nothing was run
    expect(result.stderr).toMatch(/needs redis-server, redis-cli, .*wrk/)
    expect(result.stderr).toContain(
      'sudo apt-get update && sudo apt-get install -y redis-server redis-tools ',
    )
    expect(result.stderr).toMatch(
      /install -y redis-server redis-tools redis-sentinel (chromium )?wrk openssl\n/,
    )
  })
})
