// Runs a Worker on real workerd (the binary inside the `workerd` npm package) on a free loopback port, for the Workers tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { build } from 'esbuild'

/** The workerd binary of the `workerd` package (its main module exports the path). */
const workerdBinary = (createRequire(import.meta.url)('workerd') as { default: string }).default

/** The compatibility date the tests' Workers declare (before nodejs_compat became the default). */
export const COMPATIBILITY_DATE = '2026-08-01'

export interface WorkerSetup {
  /** The Worker's main module (TypeScript is fine: it is bundled with esbuild, as wrangler does). */
  readonly entry: string
  /** Turn on `nodejs_compat`. @default true */
  readonly nodejsCompat?: boolean
  /** A Durable Object class the entry exports, bound as `env.SESSIONS` with SQLite storage (in a temporary directory). */
  readonly durableObject?: string
  /** Plain-text bindings (`env.NAME`). */
  readonly vars?: Readonly<Record<string, string>>
}

export interface RunningWorker {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** What workerd printed so far (stdout and stderr). */
  output(): string
  stop(): Promise<void>
}

/** Bundles the entry into one ES module; `node:*` and `cloudflare:*` stay imports for workerd to provide. */
async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['node:*', 'cloudflare:*'],
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

/** The workerd config (Cap'n Proto text) for one Worker on a socket named `http`. */
function config(setup: WorkerSetup, dir: string): string {
  const flags = setup.nodejsCompat === false ? [] : ['"nodejs_compat"']
  const bindings = Object.entries(setup.vars ?? {}).map(
    ([name, value]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`,
  )
  const object = setup.durableObject
  if (object) bindings.push(`(name = "SESSIONS", durableObjectNamespace = "${object}")`)
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "objects", disk = (path = ${JSON.stringify(join(dir, 'objects'))}, writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  compatibilityFlags = [${flags.join(', ')}],
  bindings = [${bindings.join(', ')}],
  ${
    object
      ? `durableObjectNamespaces = [(className = "${object}", uniqueKey = "hallpass-test-${object}", enableSql = true)],
  durableObjectStorage = (localDisk = "objects"),`
      : ''
  }
);
`
}

/**
 * Bundles `setup.entry`, writes (in memory, /dev/shm, where there is one: every object write is synced) a workerd config beside it in a temporary directory and starts `workerd serve`
 * on 127.0.0.1 with port 0; resolves once workerd reports the port it listens on (its control descriptor).
 */
export async function startWorker(setup: WorkerSetup): Promise<RunningWorker> {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hallpass-workerd-'))
  writeFileSync(join(dir, 'worker.js'), await bundle(setup.entry))
  mkdirSync(join(dir, 'objects'))
  writeFileSync(join(dir, 'config.capnp'), config(setup, dir))
  return serve(['serve', join(dir, 'config.capnp'), '--control-fd=3'], dir, () =>
    rmSync(dir, { recursive: true, force: true }),
  )
}

/** Starts workerd with `args` (which must pass `--control-fd=3`) and waits for its `listen` event. */
export function serve(
  args: readonly string[],
  cwd: string,
  cleanup: () => void = () => undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningWorker> {
  const child: ChildProcess = spawn(workerdBinary, args, {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    cleanup()
  }
  return new Promise((resolve, reject) => {
    let control = ''
    const fail = (why: string): void => {
      void stop().then(() => reject(new Error(`workerd ${why}:\n${output}`)))
    }
    const early = (code: number | null): void => fail(`exited (${code}) before listening`)
    child.once('exit', early)
    ;(child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      control += chunk.toString()
      for (const line of control.split('\n').slice(0, -1)) {
        const event = JSON.parse(line) as { event?: string; port?: number }
        if (event.event === 'listen' && typeof event.port === 'number') {
          child.off('exit', early)
          resolve({ url: `http://127.0.0.1:${event.port}`, output: () => output, stop })
        }
      }
    })
  })
}
