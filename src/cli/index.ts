#!/usr/bin/env node
// The `hallpass` command: `secret` prints a new random secret; `sessions list|revoke|purge` works on a store.
import { randomBytes } from 'node:crypto'
import { isHallpassError } from '../errors.ts'
import { openStore, sessionsCommand, UsageError, type StoreFlags } from './sessions.ts'

const USAGE = `Usage: hallpass <command>

Commands:
  secret [--bytes N]                      print a new random secret (base64url, default 32 bytes = 256 bits)
  sessions list <userId>        STORE     a user's sessions: id, created, last seen, expiry, ip, user agent
  sessions revoke <userId> [id] STORE     revoke one session, or all of the user's sessions
  sessions purge                STORE     delete expired sessions now (SQLite; Redis expires them itself)
  help                                    show this help

STORE is --sqlite PATH or --redis URL [--prefix hp:]`

type Out = (line: string) => void

/** Splits `--name value` flags from positional arguments. */
function parseFlags(argv: readonly string[]): { positional: string[]; flags: Record<string, string> } {
  const positional: string[] = []
  const flags: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('--')) positional.push(arg)
    else if (i + 1 < argv.length) flags[arg.slice(2)] = argv[++i] as string
    else throw new UsageError(`${arg} needs a value`)
  }
  return { positional, flags }
}

function secret(flags: Record<string, string>, out: Out): number {
  const bytes = flags.bytes === undefined ? 32 : Number(flags.bytes)
  if (!Number.isInteger(bytes) || bytes < 32 || bytes > 1024) throw new UsageError('hallpass secret: --bytes must be an integer from 32 to 1024')
  out(randomBytes(bytes).toString('base64url'))
  return 0
}

async function sessions(positional: readonly string[], flags: Record<string, string>, out: Out): Promise<number> {
  const storeFlags: StoreFlags = { sqlite: flags.sqlite, redis: flags.redis, prefix: flags.prefix }
  const [action, ...args] = positional
  const opened = await openStore(storeFlags)
  try {
    for (const line of await sessionsCommand(action, args, opened.store)) out(line)
    return 0
  } finally {
    await opened.close()
  }
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function run(argv: readonly string[], out: Out = console.log, err: Out = console.error): Promise<number> {
  try {
    const { positional, flags } = parseFlags(argv)
    const [command, ...rest] = positional
    if (command === 'secret') return secret(flags, out)
    if (command === 'sessions') return await sessions(rest, flags, out)
    if (command === undefined || command === 'help') {
      out(USAGE)
      return command === undefined ? 2 : 0
    }
    throw new UsageError(`unknown command "${command}"`)
  } catch (error) {
    if (error instanceof UsageError) {
      err(`hallpass: ${error.message}\n\n${USAGE}`)
      return 2
    }
    err(`hallpass: ${isHallpassError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)}`)
    return 1
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/hallpass')) {
  run(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
