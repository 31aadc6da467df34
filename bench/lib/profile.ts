// --profile mode: runs one scenario server under `node --cpu-prof` with wrk load, then lists its top self-time functions.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { scenario, type Endpoint, type ScenarioId } from '../scenarios/index.ts'
import { spawnScenario } from './children.ts'
import { checkRead, login } from './client.ts'
import { runWrk } from './wrk.ts'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface CpuProfile {
  startTime: number
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Monotonic microseconds, the clock V8 stamps profiles with (CLOCK_MONOTONIC on Linux, like process.hrtime). */
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

/** Self time per function (name, file:line), largest first, as shares of the samples taken in [from, to] µs. */
export function topSelfTime(
  profile: CpuProfile,
  limit = 25,
  from = 0,
  to = Number.MAX_SAFE_INTEGER,
): Array<{ name: string; where: string; share: number }> {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id)
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0)
    at += dt
    if (!node || at < from || at > to) return
    const { functionName, url, lineNumber } = node.callFrame
    const file = url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url
    const key = `${functionName || '(anonymous)'}\t${file ? `${file}:${lineNumber + 1}` : ''}`
    self.set(key, (self.get(key) ?? 0) + dt)
    total += dt
  })
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, t]) => {
      const [name = '', where = ''] = key.split('\t')
      return { name, where, share: t / total }
    })
}

/** Where a function lives, coarsely: hallpass source, one npm package, Node internals, or V8 ((garbage collector), (idle)...). */
function origin(name: string, where: string): string {
  if (where === '') return name.startsWith('(') ? name : 'native (syscalls, C++ bindings)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)
  if (pkg) return pkg[1] as string
  if (where.startsWith('src/')) return `hallpass ${where.split('/').slice(0, 2).join('/')}`
  if (where.startsWith('node:')) return 'node internals'
  return where.split('/')[0] ?? where
}

/** Self time summed by origin (see `origin`), largest first. */
export function byOrigin(
  profile: CpuProfile,
  from?: number,
  to?: number,
): Array<{ origin: string; share: number }> {
  const totals = new Map<string, number>()
  for (const t of topSelfTime(profile, Number.MAX_SAFE_INTEGER, from, to)) {
    const key = origin(t.name, t.where.replace(/:\d+$/, ''))
    totals.set(key, (totals.get(key) ?? 0) + t.share)
  }
  return [...totals].sort((a, b) => b[1] - a[1]).map(([o, share]) => ({ origin: o, share }))
}

/** Profiles `id` on each endpoint in a fresh child process and prints the top self-time functions as markdown. */
export async function profileScenario(
  id: ScenarioId,
  redisUrl: string,
  seconds: number,
  endpoints: readonly Endpoint[],
): Promise<string> {
  const sections: string[] = []
  for (const endpoint of endpoints) {
    const dir = mkdtempSync(join(tmpdir(), `hallpass-prof-${id}-${endpoint}-`))
    const child = await spawnScenario(id, scenario(id).redis ? redisUrl : '', {
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    })
    const session = await login(child.url, 'user-1')
    await checkRead(
      child.url,
      session.cookie,
      scenario(id).id.endsWith('bare') ? undefined : 'user-1',
    )
    const method = endpoint === 'read' ? 'GET' : 'POST'
    await runWrk({ url: `${child.url}/${endpoint}`, method, cookie: session.cookie, seconds: 2 })
    const from = nowUs() // only the measured run counts: startup, module loading and warm-up are left out
    const run = await runWrk({
      url: `${child.url}/${endpoint}`,
      method,
      cookie: session.cookie,
      seconds,
    })
    const to = nowUs()
    await child.stop(30_000)
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
    if (!file) throw new Error(`${id}: no .cpuprofile written in ${dir}`)
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
    const pct = (share: number): string => (share * 100).toFixed(1)
    sections.push(
      `### ${id} ${endpoint}: ${Math.round(run.rps).toLocaleString('en-US')} req/s under the profiler (${join(dir, file)})\n\n` +
        `Self time by origin: ${byOrigin(profile, from, to)
          .slice(0, 10)
          .map((o) => `${o.origin} ${pct(o.share)}%`)
          .join(', ')}.\n\n| self % | function | where |\n|---:|---|---|\n` +
        topSelfTime(profile, 25, from, to)
          .map((t) => `| ${pct(t.share)} | ${t.name} | ${t.where} |`)
          .join('\n'),
    )
  }
  return sections.join('\n\n')
}
