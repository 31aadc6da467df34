// The SQLite store contract on bun:sqlite (the real Bun) and node:sqlite (a real Node >= 22.15, better-sqlite3 hidden).
// Both run in child processes while this file is collected; each case they report is one test here.
import { describe, expect, it } from 'vitest'
import { runOnBun, runOnNodeSqlite, type RunResult } from './runners.ts'

const [bun, node] = await Promise.all([runOnBun(), runOnNodeSqlite()])
const RUNS: [driver: string, run: RunResult][] = [
  ['bun:sqlite', bun],
  ['node:sqlite', node],
]

for (const [driver, run] of RUNS) {
  describe(`${driver} on ${run.runtime} (spawned)`, () => {
    it('the run finished, reported its cases and skipped none', () => {
      expect(run.cases.length, run.output).toBeGreaterThan(0)
      expect(run.cases.filter((c) => c.status === 'skipped').map((c) => c.path)).toEqual([])
      expect(run.code, run.output).toBe(0)
    })
    for (const result of run.cases) {
      it(result.path, () => {
        if (result.status === 'failed') throw new Error(`${driver}: ${result.message}`)
        expect(result.status).toBe('passed')
      })
    }
  })
}

it('Bun and Node ran the same contract cases, the Store contract among them', () => {
  const paths = (run: RunResult): string[] => run.cases.map((c) => c.path).sort()
  expect(paths(bun)).toEqual(paths(node))
  expect(paths(bun).filter((path) => path.startsWith('Store contract: ')).length).toBeGreaterThan(
    40,
  )
})
