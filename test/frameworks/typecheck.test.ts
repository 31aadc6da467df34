// Every example type-checks with its framework's own checker against the built library's .d.ts: astro check,
// svelte-check, tsc.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { binOf, buildLibrary, exampleDir, ROOT, runWithNode } from './harness.ts'

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

/** Each example's checker: commands run in order in its directory (the first ones generate the framework's types). */
const CHECKS: Record<string, string[][]> = {
  astro: [[binOf('astro'), 'check']],
  sveltekit: [
    [join(exampleDir('sveltekit'), 'node_modules', '@sveltejs', 'kit', 'svelte-kit.js'), 'sync'],
    [binOf('svelte-check'), '--tsconfig', './tsconfig.json', '--output', 'human'],
  ],
  next: [[TSC, '-p', '.', '--noEmit', '--incremental', 'false']],
  'tanstack-start': [[TSC, '-p', '.', '--noEmit']],
}

/** Runs an example's commands in order; the first that fails gives its whole output. */
async function check(example: string): Promise<{ example: string; failed?: string }> {
  for (const args of CHECKS[example] as string[][]) {
    const { status, output } = await runWithNode(exampleDir(example), args, {
      ASTRO_TELEMETRY_DISABLED: '1',
    })
    if (status !== 0)
      return {
        example,
        failed: `${args.slice(1).join(' ') || args[0]} exited ${status}:\n${output}`,
      }
  }
  return { example }
}

describe('the examples type-check', () => {
  it('astro check, svelte-check and tsc pass on every example (run in parallel)', async () => {
    await buildLibrary() // the examples import hallpass's dist/*.d.ts through the workspace link
    const results = await Promise.all(Object.keys(CHECKS).map(check))
    expect(results).toEqual(Object.keys(CHECKS).map((example) => ({ example })))
  }, 900_000) // each checker may first wait for a build of its example (the same lock) in another test file
})
