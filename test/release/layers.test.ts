// Imports flow one way (adapter → manager → store): no file in src/ imports from a layer above its own (docs/architecture.md).
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

/**
 * The layers, lowest first; a file may import from its own layer and the ones below. The DBSC server
 * (src/dbsc/ but index.ts) is part of the manager, which answers its endpoints; `hallpass/dbsc` (index.ts,
 * the route guard) is a feature. The request scope (pipeline/scope.ts) sits with the manager, which attaches it to
 * the Session; the rest of the pipeline sits between the features and the front doors. Matched in order: the first pattern that fits a path names its layer.
 */
const LAYERS: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  ['foundation', /^(errors|json|fail-closed)\.ts$/],
  ['runtime', /^runtime\//],
  ['crypto', /^crypto\//],
  ['stores', /^stores\//],
  ['manager', /^(core\/|dbsc\/(?!index\.ts$)|pipeline\/scope\.ts$|index\.ts$)/],
  ['features', /^(csrf|throttle|guards|audit|context|sealed|dbsc|client)\//],
  ['pipeline', /^pipeline\//],
  ['adapters', /^adapters\//],
  ['integrations', /^integrations\//],
  ['tools', /^(cli|testing)\//],
]

/** Above the manager, only the tools may reach into the stores: everything else takes its types from the manager (core/types.ts). */
const MAY_IMPORT_STORES = new Set(['stores', 'manager', 'tools'])

function layerOf(path: string): number {
  const index = LAYERS.findIndex(([, pattern]) => pattern.test(path))
  if (index < 0)
    throw new Error(`src/${path} is in no layer: add it to LAYERS and to docs/architecture.md`)
  return index
}

const files = readdirSync(SRC, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
  .map((entry) => relative(SRC, join(entry.parentPath, entry.name)).split('\\').join('/'))

/** Every relative import of a source file, as a path under src/. */
function importsOf(path: string): string[] {
  const text = readFileSync(join(SRC, path), 'utf8')
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
    (match) => match[1] as string,
  )
  return specifiers.map((specifier) =>
    relative(SRC, join(SRC, dirname(path), specifier))
      .split('\\')
      .join('/'),
  )
}

describe('source layers', () => {
  it('finds the source files and their imports (the scan itself works)', () => {
    expect(files).toContain('core/manager.ts')
    expect(importsOf('core/manager.ts')).toContain('crypto/token.ts')
  })

  it('every file is in a layer', () => {
    for (const path of files) expect(() => layerOf(path)).not.toThrow()
  })

  it('no file imports from a layer above its own', () => {
    const upward = files.flatMap((path) =>
      importsOf(path)
        .filter((target) => layerOf(target) > layerOf(path))
        .map(
          (target) =>
            `${path} (${LAYERS[layerOf(path)]?.[0]}) imports ${target} (${LAYERS[layerOf(target)]?.[0]})`,
        ),
    )
    expect(upward).toEqual([])
  })

  it('features, adapters and integrations take store types from the manager, never from src/stores/', () => {
    const skipping = files.flatMap((path) =>
      MAY_IMPORT_STORES.has(LAYERS[layerOf(path)]?.[0] as string)
        ? []
        : importsOf(path)
            .filter((target) => target.startsWith('stores/'))
            .map((target) => `${path} imports ${target}`),
    )
    expect(skipping).toEqual([])
  })
})
