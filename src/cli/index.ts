#!/usr/bin/env node
// The `hallpass` command: `secret` prints a new random secret; `sessions list|revoke|stats|purge` works on a store;
// `migrate` creates or upgrades the Postgres sessions table.
import { randomBytes } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { isHallpassError } from '../errors.ts'
import { accessFor, sessionsCommand } from './sessions.ts'
import { openStore, UsageError, type StoreFlags } from './stores.ts'
import { migrateCommand, postgresSessionsCommand } from './postgres.ts'

const USAGE = `Usage: hallpass <command> [options]

Commands:
  secret [--bytes N]                      print a new random secret (base64url, default 32 bytes = 256 bits)
  sessions list <userId>        STORE     a user's sessions: id, created, last seen, expiry, ip, user agent
  sessions revoke <userId> [id] STORE     revoke one session, or all of the user's sessions
  sessions stats                STORE     sessions, signed-in users, sessions per user, expiring within the hour
  sessions purge                STORE     delete expired sessions now (SQLite, Postgres; Redis expires them itself)
  migrate --postgres URL [--schema S] [--table T]   create or upgrade the Postgres sessions table
  help, --help, -h                        show this help

STORE names the app's store the way the app does:
  --sqlite PATH [--table NAME]            the database file and sqliteStore({ table }) (default hallpass_sessions)
  --redis URL [--prefix PREFIX]           the server and redisStore({ prefix }) (default hp:)
  --postgres URL [--schema S] [--table T] the database and postgresStore({ schema, table }) (public, hallpass_sessions)
list and stats open the store read-only. Every command first checks the store is there (the SQLite file and
its table, hallpass keys under the prefix, the Postgres table) and exits 1 naming the flag to pass if not;
nothing is ever created.
Options take --name VALUE or --name=VALUE.`

type Out = (line: string) => void

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  bytes: { type: 'string' },
  sqlite: { type: 'string' },
  redis: { type: 'string' },
  prefix: { type: 'string' },
  postgres: { type: 'string' },
  schema: { type: 'string' },
  table: { type: 'string' },
} as const

/** Which options each command accepts (anything else is a usage error, not silently ignored). */
const ALLOWED: Record<string, readonly string[]> = {
  secret: ['bytes'],
  sessions: ['sqlite', 'table', 'redis', 'prefix', 'postgres', 'schema'],
  migrate: ['postgres', 'schema', 'table'],
  help: [],
}

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string
}

/** node:util parseArgs in strict mode: unknown flags and missing values are usage errors. */
function parse(argv: readonly string[]): { positionals: string[]; values: Values } {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true })
  } catch (error) {
    throw new UsageError(
      error instanceof Error
        ? error.message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '')
        : String(error),
    )
  }
}

function secret(values: Values, out: Out): number {
  const bytes = values.bytes === undefined ? 32 : Number(values.bytes)
  if (
    !/^\d+$/.test(values.bytes ?? '32') ||
    !Number.isInteger(bytes) ||
    bytes < 32 ||
    bytes > 1024
  ) {
    throw new UsageError('secret: --bytes must be an integer from 32 to 1024')
  }
  out(randomBytes(bytes).toString('base64url'))
  return 0
}

async function sessions(positional: readonly string[], values: Values, out: Out): Promise<number> {
  if (values.postgres !== undefined) {
    if ((values.sqlite ?? values.redis ?? values.prefix) !== undefined)
      throw new UsageError('name one store: --sqlite, --redis or --postgres')
    return postgresSessionsCommand(positional[0], positional.slice(1), values, out)
  }
  if (values.schema !== undefined) throw new UsageError('--schema goes with --postgres URL')
  const { sqlite, table, redis, prefix } = values
  const storeFlags: StoreFlags = { sqlite, table, redis, prefix }
  const [action, ...args] = positional
  const opened = await openStore(storeFlags, accessFor(action))
  try {
    for (const line of await sessionsCommand(action, args, opened.store)) out(line)
    return 0
  } finally {
    await opened.close()
  }
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code: 0 done, 1 failed, 2 usage. */
export async function run(
  argv: readonly string[],
  out: Out = console.log,
  err: Out = console.error,
): Promise<number> {
  try {
    const { positionals, values } = parse(argv)
    const [command, ...rest] = positionals
    if (values.help === true || command === 'help') {
      out(USAGE)
      return 0
    }
    if (command === undefined) throw new UsageError('name a command')
    const allowed = Object.hasOwn(ALLOWED, command) ? ALLOWED[command] : undefined
    if (!allowed) throw new UsageError(`unknown command "${command}"`)
    const stray = Object.keys(values).filter((name) => !allowed.includes(name))
    if (stray.length > 0)
      throw new UsageError(
        `${command} does not take ${stray.map((name) => `--${name}`).join(', ')}`,
      )
    if (command === 'secret') {
      if (rest.length > 0)
        throw new UsageError(`secret takes no arguments (got "${rest.join(' ')}")`)
      return secret(values, out)
    }
    if (command === 'migrate') return await migrateCommand(rest, values, out)
    return await sessions(rest, values, out)
  } catch (error) {
    if (error instanceof UsageError) {
      err(`hallpass: ${error.message}\n\n${USAGE}`)
      return 2
    }
    err(
      `hallpass: ${isHallpassError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)}`,
    )
    return 1
  }
}

/** True when this file is the program node was asked to run (directly, through the npm bin symlink, or from a path with spaces). */
function isMain(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isMain()) {
  run(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
