// A fresh checkout (npx hallpass after the install step), and the published package as a user gets it: `npm pack`, installed offline into a fresh project, then used.
import { execFile, spawnSync } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>
  dependencies: Record<string, string>
}
const SUBPATHS = Object.keys(pkg.exports)
  .filter((key) => key !== './package.json')
  .map((key) => key.replace(/^\./, 'hallpass'))
/**
 * Subpaths that only load inside their framework's server build: `server-only` (Next.js) and Start's
 * server-only marker throw by design outside it. Their example apps build and run them (test/frameworks/).
 */
const FRAMEWORK_ONLY = new Set(['hallpass/next', 'hallpass/tanstack-start'])
/** Peer packages a user would have installed (and the tools the test drives), linked from this repository. */
const PEERS = [
  'express',
  '@types/express',
  'fastify',
  'hono',
  'better-sqlite3',
  'redis',
  'ioredis',
  'rate-limiter-flexible',
  'vitest',
  '@types/node',
  'typescript',
]

let dir: string
let clone: string
let app: string
let files: string[]

function write(path: string, text: string): void {
  mkdirSync(dirname(join(app, path)), { recursive: true })
  writeFileSync(join(app, path), text)
}

/** Type-checks with one tsconfig; resolves to tsc's complaints ('' when none). */
async function tsc(name: string, tsconfig: object): Promise<string> {
  write(`tsconfig.${name}.json`, JSON.stringify(tsconfig))
  try {
    await run(
      process.execPath,
      [join(app, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${name}.json`],
      { cwd: app },
    )
    return ''
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error)
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass pack ')) // a space in the path, as in "My Projects"
  // A fresh checkout of this tree: tracked and new (not ignored) files, so no dist/; the packages are already installed.
  clone = join(dir, 'fresh clone')
  const tracked = spawnSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: ROOT, encoding: 'utf8' },
  )
    .stdout.split('\0')
    .filter(Boolean)
  for (const file of tracked) {
    mkdirSync(dirname(join(clone, file)), { recursive: true })
    cpSync(join(ROOT, file), join(clone, file))
  }
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'))
  // `npm ci` builds nothing; `npm test`'s setup builds dist/ once, and `npm pack` would build it again (prepack).
  await run(process.execPath, [join(clone, 'scripts', 'test-setup.mjs')], { cwd: clone })
  const packed = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
    { cwd: clone, maxBuffer: 16 << 20 },
  )
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{
    filename: string
    files: Array<{ path: string }>
  }>
  files = info!.files.map((f) => f.path)
  app = join(dir, 'app')
  write('package.json', JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  // Offline: the tarball's own dependencies are the copies already installed here (linked), never the network.
  const dependencies = Object.keys(pkg.dependencies).map((name) => join(ROOT, 'node_modules', name))
  await run(
    'npm',
    [
      'install',
      '--offline',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      join(dir, info!.filename),
      ...dependencies,
    ],
    { cwd: app },
  )
  for (const name of PEERS) {
    mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name))
  }
}, 300_000) // hang guards, not speed checks: the build and npm are slow on a busy 2-core machine

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('a fresh checkout', () => {
  it("npx hallpass --help and npx hallpass secret work once npm test's setup has built dist/", async () => {
    const help = await run('npx', ['--offline', 'hallpass', '--help'], { cwd: clone })
    expect(help.stdout).toMatch(/^Usage: hallpass/)
    const secret = await run('npx', ['--offline', 'hallpass', 'secret', '--bytes=48'], {
      cwd: clone,
    })
    expect(Buffer.from(secret.stdout.trim(), 'base64url')).toHaveLength(48)
  }, 180_000) // npm reads the whole linked node_modules tree the first time
})

describe('the packed tarball', () => {
  it('ships the built code and nothing else: no sources, no tests, every export target present', () => {
    expect(
      files.filter(
        (f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f),
      ),
    ).toEqual([])
    expect(files.filter((f) => /\.test\.|\.test-d\.|(^|\/)test\//.test(f))).toEqual([])
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([])
    for (const [key, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue
      const { types, default: main } = target as { types: string; default: string }
      expect(files, key).toContain(types.slice(2))
      expect(files, key).toContain(main.slice(2))
    }
  })

  it('runs no script when installed (npm 11 lists any as an install script); npm pack and git installs build it', () => {
    const packed = JSON.parse(
      readFileSync(join(app, 'node_modules/hallpass/package.json'), 'utf8'),
    ) as { scripts?: Record<string, string> }
    const installTime = [
      'preinstall',
      'install',
      'postinstall',
      'prepublish',
      'preprepare',
      'prepare',
      'postprepare',
    ]
    expect(Object.keys(packed.scripts ?? {}).filter((name) => installTime.includes(name))).toEqual(
      [],
    )
    expect(packed.scripts?.prepack).toBe('npm run build')
  })

  it('no shipped file imports a path that is not shipped', () => {
    const missing: string[] = []
    for (const file of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
      const text = readFileSync(join(app, 'node_modules/hallpass', file), 'utf8')
      // Real import statements start a line in tsc's output; TSDoc examples inside comments do not.
      for (const [, spec] of text.matchAll(
        /^(?:import|export)\b[^\n]*?(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/gm,
      )) {
        const target = join(dirname(file), spec!).replace(
          /\.ts$/,
          file.endsWith('.d.ts') ? '.d.ts' : '.js',
        )
        if (!files.includes(target)) missing.push(`${file} -> ${spec}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('imports every subpath under plain Node, also with the `development` condition Vite sets', async () => {
    const probe = `for (const name of ${JSON.stringify(SUBPATHS.filter((name) => !FRAMEWORK_ONLY.has(name)))}) { const m = await import(name); if (Object.keys(m).length === 0) throw new Error(name + ' exports nothing') }; console.log('ok')`
    for (const flags of [[], ['--conditions=development']]) {
      const { stdout } = await run(
        process.execPath,
        [...flags, '--input-type=module', '-e', probe],
        { cwd: app },
      )
      expect(stdout.trim()).toBe('ok')
    }
  })

  it('type-checks a consumer under moduleResolution node16 and bundler, with no @types it did not ask for', async () => {
    // Server code: every subpath, Express typed through @types/express (an optional peer), SQLite without @types/better-sqlite3.
    write(
      'server.ts',
      [
        `import express from 'express'`,
        `import { createSessions, type Sessions } from 'hallpass'`,
        `import { session } from 'hallpass/express'`,
        `import { sqliteStore } from 'hallpass/stores/sqlite'`,
        ...SUBPATHS.map((name, i) => `import * as m${i} from '${name}'`),
        `export const all = [${SUBPATHS.map((_, i) => `m${i}`).join(', ')}]`,
        `const sessions: Sessions = createSessions({ secret: 'x'.repeat(32), store: sqliteStore({ database: ':memory:' }) })`,
        `express().use(session(sessions)).get('/', (req, res) => { res.json({ user: req.session.userId }) })`,
        `// @ts-expect-error the key ring is not public`,
        `sessions.keys`,
      ].join('\n'),
    )
    // Browser code: the client helper needs no @types/node.
    write(
      'browser.ts',
      `import { createSessionClient } from 'hallpass/client'\nexport const client = createSessionClient({ statusUrl: '/api/session' })\n`,
    )
    const strict = {
      strict: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      skipLibCheck: false,
      target: 'ES2022',
      lib: ['ES2023', 'DOM'],
    }
    const results = await Promise.all([
      tsc('node16', {
        compilerOptions: {
          ...strict,
          module: 'node16',
          moduleResolution: 'node16',
          types: ['node'],
        },
        files: ['server.ts'],
      }),
      tsc('bundler', {
        compilerOptions: {
          ...strict,
          module: 'esnext',
          moduleResolution: 'bundler',
          types: ['node'],
        },
        files: ['server.ts'],
      }),
      tsc('browser', {
        compilerOptions: { ...strict, module: 'esnext', moduleResolution: 'bundler', types: [] },
        files: ['browser.ts'],
      }),
    ])
    expect(results).toEqual(['', '', ''])
  }, 300_000)

  it('a Vite SSR dev server resolves hallpass and hallpass/hono to the built JavaScript and imports them', async () => {
    write(
      'entry.js',
      `export { createSessions } from 'hallpass'\nexport { session } from 'hallpass/hono'\n`,
    )
    const vite = await createServer({
      root: app,
      configFile: false,
      logLevel: 'silent',
      appType: 'custom',
      server: { middlewareMode: true, ws: false },
      ssr: { noExternal: ['hallpass'] },
    })
    try {
      for (const name of ['hallpass', 'hallpass/hono']) {
        const resolved = await vite.pluginContainer.resolveId(name, join(app, 'entry.js'), {
          ssr: true,
        })
        expect(resolved?.id, name).toMatch(/node_modules\/hallpass\/dist\/.*\.js$/)
      }
      const mod = await vite.ssrLoadModule('/entry.js')
      expect(typeof mod.createSessions).toBe('function')
      expect(typeof mod.session).toBe('function')
    } finally {
      await vite.close()
    }
  }, 120_000)

  it('npx hallpass secret and npx hallpass --help work from the installed package', async () => {
    const secret = await run('npx', ['--offline', 'hallpass', 'secret'], { cwd: app })
    expect(secret.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const help = await run('npx', ['--offline', 'hallpass', '--help'], { cwd: app })
    expect(help.stdout).toMatch(/^Usage: hallpass/)
  }, 120_000)
})
