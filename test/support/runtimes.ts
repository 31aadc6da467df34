// Test harness: runs a TypeScript entry file on the real Bun or Deno from their npm packages, and reads the one JSON line it prints when ready.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export type RuntimeName = 'bun' | 'deno'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Each runtime's binary as its npm package installs it (the package's postinstall puts it there), and the
 * command line that runs an entry file with hallpass resolved to its sources (the `hallpass-source` condition).
 */
const RUNTIMES: Record<
  RuntimeName,
  { binary: string; args(entry: string, permissions: readonly string[]): string[] }
> = {
  bun: {
    binary: 'node_modules/bun/bin/bun.exe',
    args: (entry) => ['--conditions=hallpass-source', entry],
  },
  deno: {
    binary: 'node_modules/deno/deno',
    args: (entry, permissions) => [
      'run',
      '--no-prompt',
      '--conditions=hallpass-source',
      ...permissions,
      entry,
    ],
  },
}

/** A runtime process this test file owns: the first line its entry printed (when ready), and how to stop it. */
export interface RuntimeProcess {
  readonly ready: string
  readonly pid: number
  /** Everything the process wrote to stderr so far. */
  stderr(): string
  /** Settles with the exit code when the process ends (null when a signal ended it). */
  readonly exited: Promise<number | null>
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** The path of a runtime's binary; fails loudly (never skips) when the npm package did not install it. */
export function runtimeBinary(name: RuntimeName): string {
  const binary = ROOT + RUNTIMES[name].binary
  if (!existsSync(binary))
    throw new Error(
      `${name} is not installed at ${binary}: run \`npm ci\` (the devDependency "${name}" ships the binary and its postinstall puts it there).`,
    )
  return binary
}

/**
 * Starts `entry` (a path from the repository root) on the runtime, with `env` added, and resolves once it
 * prints its first line. Rejects with the process's stderr if it exits first. `permissions` are Deno's
 * (`--allow-…`; Bun has none).
 */
export function startRuntime(
  name: RuntimeName,
  entry: string,
  env: Record<string, string> = {},
  permissions: readonly string[] = ['--allow-all'],
): Promise<RuntimeProcess> {
  const child = spawn(runtimeBinary(name), RUNTIMES[name].args(entry, permissions), {
    cwd: ROOT,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    live.delete(child)
  }
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    let ready = false
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const newline = stdout.indexOf('\n')
      if (ready || newline < 0) return
      ready = true
      resolve({
        ready: stdout.slice(0, newline),
        pid: child.pid ?? 0,
        stderr: () => stderr,
        exited,
        stop,
      })
    })
    child.once('error', reject)
    child.once('exit', (code, signal) =>
      reject(
        new Error(`${name} ${entry} exited (${code ?? signal}) before it was ready:\n${stderr}`),
      ),
    )
  })
}
