// What a Worker bundle carries: a plain fetch-adapter Worker has neither jose nor node:async_hooks; the subpaths that need them bring them.
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Bundles `source` as wrangler does for workerd (hallpass from its sources); the text and the inputs it used. */
async function bundle(source: string): Promise<{ text: string; inputs: string[]; bytes: number }> {
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
  return { text, inputs: Object.keys(result.metafile.inputs), bytes: text.length }
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
    // 274 KiB when every bundle carried both; about 150 KiB without them (unminified).
    expect(plain.bytes).toBeLessThan(200 * 1024)
  })

  it('hallpass/dbsc brings jose, and hallpass/context brings node:async_hooks', async () => {
    const dbsc = await bundle(`${PLAIN}\nexport { requireBoundDevice } from 'hallpass/dbsc'`)
    expect(usesJose(dbsc.inputs)).toBe(true)
    const context = await bundle(`${PLAIN}\nexport { getSession } from 'hallpass/context'`)
    expect(context.text).toContain('node:async_hooks')
    expect(usesJose(context.inputs)).toBe(false)
  })
})
