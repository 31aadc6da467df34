#!/usr/bin/env node
// The `hallpass` command: `hallpass secret` prints a new random secret for SESSION_SECRET.
import { randomBytes } from 'node:crypto'

const USAGE = `Usage: hallpass <command>

Commands:
  secret [--bytes N]   print a new random secret (base64url, default 32 bytes = 256 bits)
  help                 show this help`

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export function run(argv: readonly string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  const [command, ...rest] = argv
  if (command === 'secret') {
    const flag = rest.indexOf('--bytes')
    const bytes = flag === -1 ? 32 : Number(rest[flag + 1])
    if (!Number.isInteger(bytes) || bytes < 32 || bytes > 1024) {
      err('hallpass secret: --bytes must be an integer from 32 to 1024')
      return 2
    }
    out(randomBytes(bytes).toString('base64url'))
    return 0
  }
  if (command === undefined || command === 'help' || command === '--help') {
    out(USAGE)
    return command === undefined ? 2 : 0
  }
  err(`hallpass: unknown command "${command}"\n\n${USAGE}`)
  return 2
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/hallpass')) process.exitCode = run(process.argv.slice(2))
