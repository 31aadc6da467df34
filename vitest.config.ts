// Test runner configuration: resolve hallpass subpaths to the TypeScript sources; run test files three at a time, except those that measure time.
import { relative } from 'node:path'
import { configDefaults, defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Test files whose assertions measure wall-clock time or load (a fault's timeout window, a write's latency, login
 * timing ratios, a server's start, a loop that must stay fast, the bench smoke driving wrk): they run one at a
 * time after the others, alone, so the other test files cannot skew what they measure.
 */
const MEASURING = [
  'test/bench/smoke.test.ts',
  'test/app/timing.test.ts',
  'test/app/config.test.ts',
  'test/redis/durability.test.ts',
  'test/redis/faults.test.ts',
  'test/throttle/redis.test.ts',
  'test/guards/permissions.test.ts',
]

/** Test files that build or start an example app, pack the package, or drive Chromium: the longest ones. */
const LONG = /^test\/(frameworks\/|release\/pack\.|app\/(dbsc-)?browser\.)/

/**
 * Vitest's order (the longest first by the durations it recorded; on a fresh clone, which has none, the largest
 * files first), with the long files first: one of them started last would run on alone at the end.
 */
class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const long = (file: TestSpecification) =>
      LONG.test(relative(file.project.config.root, file.moduleId))
    const sorted = await super.sort(files)
    return [...sorted.filter(long), ...sorted.filter((file) => !long(file))]
  }
}

export default defineConfig({
  resolve: { conditions: ['hallpass-source'] },
  ssr: { resolve: { conditions: ['hallpass-source'] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Most test files wait on servers, child processes and builds, not on the CPU: vitest's default on a 2-core
    // machine (one worker) ran them one at a time. Three at once keep both cores busy.
    maxWorkers: 3,
    sequence: { sequencer: LongFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'hallpass',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...MEASURING],
        },
      },
      { extends: true, test: { name: 'measuring', include: MEASURING, fileParallelism: false } },
    ],
  },
})
