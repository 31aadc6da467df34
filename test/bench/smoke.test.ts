// Runs `bench/run.ts --smoke` (every scenario for about a second) in a child process: the bench must keep working.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { SCENARIOS } from '../../bench/scenarios/index.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function runSmoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=hallpass-source', '--import', 'tsx', 'bench/run.ts', '--smoke'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr })) // 'close': after the last output is read
  })
}

describe('bench smoke mode', () => {
  it(
    'runs every scenario with only 2xx answers and prints the table',
    { timeout: 240_000 },
    async () => {
      const { code, stdout, stderr } = await runSmoke()
      expect(stderr, stderr).not.toMatch(/FAILED|bench failed/)
      expect(code, stderr).toBe(0)
      for (const s of SCENARIOS) expect(stdout).toContain(`| ${s.label} |`)
      expect(stdout).toContain('### Targets')
      // Every Redis scenario was counted, and every session store was weighed.
      // The rows are matched by their shape, so a figure with a thousands separator (1,039) still counts.
      expect(stdout).toMatch(/\| hallpass\/node \| read \| hgetall/)
      expect(stdout).toMatch(/^\| express-session \| [\d,]+ \| 1\.00 \| [^|]+ \|$/m)
      // The Postgres table's five cells end in bytes per session (the repetition table's rows have three cells).
      expect(stdout).toMatch(/^\| hallpass\/node \(pg\) \| [^|]+ \| [^|]+ \| [^|]+ \| [\d,]+ \|$/m)
      expect(stdout).toMatch(/^\| express-session \(pg\) \| [^|]+ \| [^|]+ \| [^|]+ \| [\d,]+ \|$/m)
    },
  )
})
