// Starts each scenario server in its own child process (fork with IPC) and stops it cleanly.
import { fork, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startRuntime } from '../../test/support/runtimes.ts'
import type { Scenario, ScenarioId } from '../scenarios/index.ts'

const SERVER = fileURLToPath(new URL('../scenarios/server.ts', import.meta.url))
const LOADER = fileURLToPath(new URL('./ts-loader.mjs', import.meta.url))

/** A scenario server running in a child process. */
export interface Child {
  readonly id: ScenarioId
  readonly port: number
  readonly url: string
  /** Everything the child wrote to stderr (errors a handler logged). */
  readonly stderr: () => string
  /** CPU time (user + system, µs) the server process has used so far. */
  cpu(): Promise<number>
  /** Asks the child to close its server and exit, then waits; kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

export interface SpawnOptions {
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=...']. */
  readonly nodeFlags?: readonly string[]
  readonly timeoutMs?: number
  /** Load every scenario module (fills the transpile cache for the servers started after this one). */
  readonly preload?: boolean
}

/** Forks `bench/scenarios/server.ts <id> <redisUrl>` and resolves once it reports its port. */
export function spawnScenario(
  id: ScenarioId,
  redisUrl: string,
  options: SpawnOptions = {},
): Promise<Child> {
  const child = fork(SERVER, [id, redisUrl], {
    execArgv: ['--conditions=hallpass-source', '--import', LOADER, ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HALLPASS_BENCH_PRELOAD: options.preload ? '1' : '0',
    },
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (stderr.length > 100_000) stderr = stderr.slice(-50_000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${id}: server did not start within ${options.timeoutMs ?? 60_000} ms`)),
      options.timeoutMs ?? 60_000,
    )
    function fail(err: Error): void {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${err.message}\n${stderr}`))
    }
    child.once('exit', (code, signal) =>
      fail(
        new Error(
          `${id}: server exited before reporting its port (code ${code}, signal ${signal})`,
        ),
      ),
    )
    child.once('message', (message) => {
      const port = (message as { port?: unknown }).port
      if (typeof port !== 'number')
        return fail(new Error(`${id}: unexpected message ${JSON.stringify(message)}`))
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({
        id,
        port,
        url: `http://127.0.0.1:${port}`,
        stderr: () => stderr,
        cpu: () => cpuOf(child),
        stop: (graceMs) => stopChild(child, graceMs ?? 10_000),
      })
    })
  })
}

function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      const cpu = (message as { cpu?: unknown }).cpu
      if (typeof cpu !== 'number') return
      child.off('message', onMessage)
      resolve(cpu)
    }
    child.on('message', onMessage)
    if (!child.connected) return reject(new Error('the server process is gone'))
    child.send('cpu')
  })
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    if (child.connected) child.send('stop')
    else child.kill('SIGTERM')
  })
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (100 on Linux), asked once. */
let ticksPerSecond: number | undefined

/** CPU time (user + system, µs) a process has used, from /proc: Bun and Deno children have no IPC channel to ask. */
function procCpu(pid: number): number {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1_000_000
}

/** Starts a Bun or Deno scenario (bench/scenarios/bun.ts, deno.ts) on its runtime and resolves once it reports its port. */
export async function spawnRuntimeScenario(scenario: Scenario): Promise<Child> {
  const runtime = scenario.runtime
  if (!runtime) throw new Error(`${scenario.id} is not a Bun or Deno scenario`)
  const child = await startRuntime(runtime.name, `bench/scenarios/${runtime.name}.ts`, {
    HALLPASS_BENCH_FETCH: runtime.app,
  })
  const { port } = JSON.parse(child.ready) as { port: number }
  return {
    id: scenario.id,
    port,
    url: `http://127.0.0.1:${port}`,
    stderr: () => child.stderr(),
    cpu: async () => procCpu(child.pid),
    stop: () => child.stop(),
  }
}
