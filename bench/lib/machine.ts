// Describes the machine and tools a run used: nproc, CPU model, Node, redis-server and wrk versions.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

function firstLine(command: string, args: string[]): string {
  const out = spawnSync(command, args, { encoding: 'utf8' })
  return `${out.stdout ?? ''}${out.stderr ?? ''}`.split('\n')[0]?.trim() ?? '?'
}

export function machine(): string {
  let cpu = '?'
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?'
  } catch {
    // not Linux
  }
  const redis = /v=(\S+)/.exec(firstLine('redis-server', ['--version']))?.[1] ?? '?'
  const wrk = /^wrk (\S+)/.exec(firstLine('wrk', ['--version']))?.[1] ?? '?'
  return `nproc ${availableParallelism()}, CPU ${cpu}, Node ${process.version}, redis-server ${redis}, wrk ${wrk}`
}
