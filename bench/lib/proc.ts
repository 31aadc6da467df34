// CPU time of processes from /proc: servers the bench cannot ask over IPC (Bun, Deno, PostgreSQL).
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat's CPU times (100 on Linux), asked once. */
let ticksPerSecond: number | undefined

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): state, ppid, ... utime, stime. */
function procFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** user + system µs from the fields of procFields (utime is the 12th, stime the 13th). */
function cpuOf(fields: readonly string[]): number {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1_000_000
}

/** CPU time (user + system, µs) a process has used, from /proc: Bun and Deno children have no IPC channel to ask. */
export function procCpu(pid: number): number {
  return cpuOf(procFields(pid))
}

/**
 * CPU time (user + system, µs) of a process and its live children, from /proc: a PostgreSQL server's postmaster,
 * its backends and its background writers. A child that exits takes its share with it.
 */
export function processTreeCpu(root: number): number {
  let total = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const fields = procFields(entry)
      if (Number(entry) === root || Number(fields[1]) === root) total += cpuOf(fields)
    } catch {
      // the process ended while we looked
    }
  }
  return total
}
