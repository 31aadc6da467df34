// What a Worker bundle carries: a plain fetch-adapter Worker has neither jose, node:async_hooks nor OpenTelemetry; the subpaths that need them bring them.
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** What esbuild made of `source`: the bundle's text, the inputs it kept, its size and its warnings. */
interface Bundle {
  text: string
  inputs: string[]
  bytes: number
  warnings: string[]
}

/** Bundles `source` as wrangler does for workerd (hallpass from its sources). */
async function bundle(source: string): Promise<Bundle> {
  const result = await build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser', 'hallpass-source'],
    mainFields: ['module', 'main'],
    external: ['node:*', 'cloudflare:*'],
    metafile: true,
    logLevel: 'silent',
  })
  const text = result.outputFiles[0]!.text
  const inputs = Object.keys(result.metafile.inputs)
  const warnings = result.warnings.map((warning) => warning.text)
  return { text, inputs, bytes: text.length, warnings }
}

const PLAIN = `
import { createSessions } from 'hallpass'
import { withSession } from 'hallpass/fetch'
const sessions = createSessions({ secret: 'x'.repeat(40) })
export default { fetch: withSession(sessions, (request, session) => Response.json({ user: session.userId })) }
`
const usesJose = (inputs: string[]): boolean => inputs.some((path) => path.includes('/jose/'))

describe('Worker bundles', () => {
  it('a plain fetch-adapter Worker carries neither jose nor node:async_hooks', async () => {
    const plain = await bundle(PLAIN)
    expect(usesJose(plain.inputs)).toBe(false)
    expect(plain.text).not.toContain('async_hooks')
    // 274 KiB when every bundle carried both; 165 KiB without them (unminified, 2026-12-06: docs/runtimes/workers.md).
    expect(plain.bytes).toBeLessThan(200 * 1024)
  })

  it('a plain Worker carries no OpenTelemetry; hallpass/opentelemetry brings @opentelemetry/api', async () => {
    const usesOtel = (inputs: string[]): boolean =>
      inputs.some((path) => path.includes('@opentelemetry/') || path.includes('/opentelemetry/'))
    expect(usesOtel((await bundle(PLAIN)).inputs)).toBe(false)
    const traced = await bundle(
      PLAIN.replace(
        `createSessions({ secret: 'x'.repeat(40) })`,
        `createSessions({ secret: 'x'.repeat(40), telemetry: openTelemetry() })`,
      ).replace(
        `import { withSession }`,
        `import { openTelemetry } from 'hallpass/opentelemetry'\nimport { withSession }`,
      ),
    )
    expect(traced.inputs.some((path) => path.includes('node_modules/@opentelemetry/api/'))).toBe(
      true,
    )
  })

  it('hallpass/dbsc brings jose, and hallpass/context brings node:async_hooks', async () => {
    const dbsc = await bundle(`${PLAIN}\nexport { requireBoundDevice } from 'hallpass/dbsc'`)
    expect(usesJose(dbsc.inputs)).toBe(true)
    const context = await bundle(`${PLAIN}\nexport { getSession } from 'hallpass/context'`)
    expect(context.text).toContain('node:async_hooks')
    expect(usesJose(context.inputs)).toBe(false)
  })

  it("the bare `import 'hallpass/dbsc'` (what workers.md and the error say) is kept, and brings jose", async () => {
    const bare = await bundle(`import 'hallpass/dbsc'\n${PLAIN}`)
    // Before hallpass/dbsc was listed in package.json "sideEffects", esbuild dropped it with a warning.
    expect(bare.warnings).toEqual([])
    expect(usesJose(bare.inputs)).toBe(true)
    expect(bare.text).toContain('provideJose(')
    expect(usesJose((await bundle(PLAIN)).inputs)).toBe(false)
  })
})
