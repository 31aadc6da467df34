// Loads .ts files by transpiling them with TypeScript (as `tsc` would emit them), so hallpass runs in the bench as built code, not through tsx.
// Why not tsx: tsx compiles with esbuild's keepNames, which wraps every function created per request in a __name() call
// (Object.defineProperty): a cost the published build does not have and the peers (plain JavaScript) never pay.
// Output is cached in the temp dir by content hash, so only the first server of a run loads the TypeScript compiler.
// Usage: node --conditions=hallpass-source --import ./bench/lib/ts-loader.mjs file.ts
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { register } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread } from 'node:worker_threads'

if (isMainThread) register(import.meta.url)

const CACHE = join(tmpdir(), 'hallpass-bench-ts-cache')
const VERSION = 'v1 ES2022 esnext' // change when the compiler options below change

/** @type {typeof import('typescript') | undefined} */
let ts

/** @param {string} path @param {string} source @returns {Promise<string>} */
async function transpile(path, source) {
  const key = createHash('sha256').update(`${VERSION}\0${path}\0${source}`).digest('hex')
  const cached = join(CACHE, `${key}.js`)
  try {
    return readFileSync(cached, 'utf8')
  } catch {
    // not cached yet
  }
  ts ??= (await import('typescript')).default
  const { outputText } = ts.transpileModule(source, {
    fileName: path,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
    },
  })
  mkdirSync(CACHE, { recursive: true })
  const temp = `${cached}.${process.pid}.tmp`
  writeFileSync(temp, outputText)
  renameSync(temp, cached)
  return outputText
}

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/'))
    return nextLoad(url, context)
  const path = new URL(url).pathname
  return {
    format: 'module',
    source: await transpile(path, readFileSync(path, 'utf8')),
    shortCircuit: true,
  }
}
