// A real PostgreSQL server (Debian's postgresql package) in a temp dir on a free loopback port, for tests and the bench.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import pg from 'pg'

/** A postgres server this test file owns. */
export interface PostgresServer {
  readonly port: number
  /** The postmaster's process id while it runs (its backends are its children). */
  readonly pid: () => number | undefined
  /** `postgres://hallpass@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string
  /** Fast shutdown (every connection is dropped); the data stays for `start()`. */
  halt(): Promise<void>
  /** Starts the server again on the same port, with the same data. */
  start(): Promise<void>
  /** Shuts down and deletes the data directory. */
  stop(): Promise<void>
}

const HOST = '127.0.0.1'
const USER = 'hallpass'
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** Debian's PostgreSQL binaries (the newest installed), or the PATH directory with initdb and postgres. */
function binDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : []
  const dirs = [
    ...versions.map((version) => join(root, version, 'bin')),
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
  ]
  const found = dirs.find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')),
  )
  if (found) return found
  throw new Error(
    'PostgreSQL is not installed: the Postgres store tests need initdb and postgres ' +
      '(Debian: apt-get install postgresql). Tests never skip.',
  )
}

/**
 * How to run the server's binaries. PostgreSQL refuses to run as root, so as root (CI) they run as the `postgres`
 * user that Debian's package creates, through setpriv (which execs: the child we hold is the server itself).
 */
function runAs(): {
  wrap: (command: string, args: string[]) => [string, string[]]
  owner?: { uid: number; gid: number }
} {
  if (process.getuid?.() !== 0) return { wrap: (command, args) => [command, args] }
  const id = (flag: string): number =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim())
  const uid = id('-u')
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error(
      'running as root, the Postgres tests need the "postgres" user (Debian: apt-get install postgresql creates it)',
    )
  const gid = id('-g')
  return {
    owner: { uid, gid },
    wrap: (command, args) => [
      'setpriv',
      [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', command, ...args],
    ],
  }
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Resolves once a connection succeeds, rejects after `timeoutMs`. */
async function waitForConnection(
  url: string,
  timeoutMs: number,
  exited: Promise<never>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
    client.on('error', () => undefined)
    try {
      await Promise.race([client.connect(), exited])
      await client.end()
      return
    } catch (err) {
      last = err
      await client.end().catch(() => undefined)
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), exited])
    }
  }
  throw new Error(
    `postgres at ${url} did not accept connections within ${timeoutMs} ms: ${String(last)}`,
  )
}

/**
 * initdb into a fresh temp directory, then start `postgres` on a free loopback port (fsync off: tests only).
 * `settings` are more `-c name=value` server settings (the bench loads pg_stat_statements).
 */
export async function startPostgres(
  options: { settings?: readonly string[] } = {},
): Promise<PostgresServer> {
  const bin = binDir()
  const { wrap, owner } = runAs()
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-pg-'))
  if (owner) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  const [initCommand, initArgs] = wrap(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    USER,
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ])
  const init = spawnSync(initCommand, initArgs, { encoding: 'utf8', timeout: 60_000 })
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed: ${init.stderr || init.stdout || String(init.error)}`)
  }
  let child: ChildProcess | undefined
  let port = 0
  const launch = async (): Promise<void> => {
    const settings = [
      'listen_addresses=127.0.0.1',
      'fsync=off',
      'synchronous_commit=off',
      'full_page_writes=off',
      'max_connections=200',
      'deadlock_timeout=100ms',
      ...(options.settings ?? []),
    ]
    const args = ['-D', data, '-p', String(port), '-k', dir, ...settings.flatMap((s) => ['-c', s])]
    const [command, wrapped] = wrap(join(bin, 'postgres'), args)
    const started = spawn(command, wrapped, { stdio: ['ignore', 'ignore', 'pipe'] })
    let log = ''
    started.stderr?.on(
      'data',
      (chunk: Buffer) => void (log = (log + chunk.toString()).slice(-4000)),
    )
    live.add(started)
    started.once('exit', () => live.delete(started))
    const exited = new Promise<never>((_, reject) =>
      started.once('exit', (code) =>
        reject(new Error(`postgres on port ${port} exited early (code ${code}): ${log}`)),
      ),
    )
    exited.catch(() => undefined)
    child = started
    await waitForConnection(`postgres://${USER}@${HOST}:${port}/postgres`, 20_000, exited)
  }
  const halt = async (): Promise<void> => {
    const running = child
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill('SIGINT') // fast shutdown: connections are terminated, the data is kept
    })
  }
  for (let attempt = 0; ; attempt++) {
    port = await freePort()
    try {
      await launch()
      break
    } catch (err) {
      await halt()
      if (attempt >= 4) {
        rmSync(dir, { recursive: true, force: true })
        throw err
      }
    }
  }
  return {
    port,
    pid: () => child?.pid,
    url: `postgres://${USER}@${HOST}:${port}/postgres`,
    halt,
    start: launch,
    stop: async () => {
      await halt()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
