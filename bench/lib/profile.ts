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
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Self time per function (name, file:line), largest first, as shares of all samples. */
export function topSelfTime(profile: CpuProfile, limit = 25): Array<{ name: string; where: string; share: number }> {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id)
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0)
    if (!node) return
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

/** Profiles `id` on each endpoint in a fresh child process and prints the top self-time functions as markdown. */
export async function profileScenario(id: ScenarioId, redisUrl: string, seconds: number, endpoints: readonly Endpoint[]): Promise<string> {
  const sections: string[] = []
  for (const endpoint of endpoints) {
    const dir = mkdtempSync(join(tmpdir(), `hallpass-prof-${id}-${endpoint}-`))
    const child = await spawnScenario(id, scenario(id).redis ? redisUrl : '', { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] })
    const session = await login(child.url, 'user-1')
    await checkRead(child.url, session.cookie, scenario(id).id.endsWith('bare') ? undefined : 'user-1')
    const method = endpoint === 'read' ? 'GET' : 'POST'
    await runWrk({ url: `${child.url}/${endpoint}`, method, cookie: session.cookie, seconds: 2 })
    const run = await runWrk({ url: `${child.url}/${endpoint}`, method, cookie: session.cookie, seconds })
    await child.stop(30_000)
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
    if (!file) throw new Error(`${id}: no .cpuprofile written in ${dir}`)
    const top = topSelfTime(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile)
    sections.push(
      `### ${id} ${endpoint}: ${Math.round(run.rps).toLocaleString('en-US')} req/s under the profiler (${join(dir, file)})\n\n| self % | function | where |\n|---:|---|---|\n` +
        top.map((t) => `| ${(t.share * 100).toFixed(1)} | ${t.name} | ${t.where} |`).join('\n'),
    )
  }
  return sections.join('\n\n')
}
