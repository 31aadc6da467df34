// Turns the collected runs into markdown: the main table (medians, ratios), Redis command detail, and every target met or missed.
import {
  ENDPOINTS,
  HALLPASS_REDIS,
  MAX_BYTES_PER_SESSION,
  MAX_ROUND_TRIPS,
  RATIO_TARGETS,
  SCENARIOS,
  SHORT_NAMES,
  type Endpoint,
  type ScenarioId,
} from '../scenarios/index.ts'
import type { MonitorCount } from './redis.ts'
import type { WrkResult } from './wrk.ts'

/** Everything measured for one scenario. */
export interface Results {
  readonly id: ScenarioId
  readonly runs: Record<Endpoint, WrkResult[]>
  /** Server CPU time per request (µs, user + system) of each measured run. */
  readonly cpu: Record<Endpoint, number[]>
  /** commandstats deltas summed over the measured wrk runs, and the requests they served. */
  readonly commands: Record<Endpoint, { calls: Map<string, number>; requests: number }>
  /** MONITOR over sequential requests: client round trips vs commands inside scripts. */
  roundTrips?: Record<Endpoint, MonitorCount & { requests: number }>
  bytesPerSession?: number
  keysPerSession?: number
  /** MEMORY USAGE per key type (average bytes) over a sample of the keys the logins created. */
  keyTypes?: Map<string, { keys: number; bytes: number }>
  cookieBytes?: number
  /** pg_total_relation_size growth of the scenario's table (with its indexes and TOAST) per login. */
  postgresBytesPerSession?: number
}

export function emptyResults(id: ScenarioId): Results {
  return {
    id,
    runs: { read: [], write: [] },
    cpu: { read: [], write: [] },
    commands: { read: { calls: new Map(), requests: 0 }, write: { calls: new Map(), requests: 0 } },
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function medianRps(results: Results | undefined, endpoint: Endpoint): number {
  return median(results?.runs[endpoint].map((r) => r.rps) ?? [])
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)
const int = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'
const fixed = (n: number | undefined, digits = 2): string =>
  n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '–'

/** Commands per request from commandstats (including those run inside scripts). */
export function commandsPerRequest(results: Results, endpoint: Endpoint): number | undefined {
  const { calls, requests } = results.commands[endpoint]
  return requests > 0 && calls.size > 0 ? sum(calls) / requests : undefined
}

/** Round trips per request from MONITOR (commands a client sent; script internals excluded). */
export function roundTripsPerRequest(results: Results, endpoint: Endpoint): number | undefined {
  const seen = results.roundTrips?.[endpoint]
  return seen && seen.requests > 0 ? sum(seen.client) / seen.requests : undefined
}

function ratioCell(
  all: Map<ScenarioId, Results>,
  id: ScenarioId,
  baselines: readonly ScenarioId[],
  endpoint: Endpoint,
): string {
  const own = medianRps(all.get(id), endpoint)
  return baselines.map((b) => fixed(own / medianRps(all.get(b), endpoint))).join(' / ') || '–'
}

/** The main markdown table: one row per scenario. */
export function mainTable(all: Map<ScenarioId, Results>): string {
  const lines = [
    '| scenario | read req/s | read p99 ms | write req/s | write p99 ms | ratio vs | read × | write × | server CPU µs/req read/write | Redis RT read/write | Redis cmds read/write | B/session | cookie B |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const s of SCENARIOS) {
    const r = all.get(s.id)
    if (!r) continue
    const p99 = (e: Endpoint): string => fixed(median(r.runs[e].map((x) => x.p99)))
    const rt = s.redis
      ? `${fixed(roundTripsPerRequest(r, 'read'))} / ${fixed(roundTripsPerRequest(r, 'write'))}`
      : '–'
    const cmds = s.redis
      ? `${fixed(commandsPerRequest(r, 'read'))} / ${fixed(commandsPerRequest(r, 'write'))}`
      : '–'
    lines.push(
      `| ${s.label} | ${int(medianRps(r, 'read'))} | ${p99('read')} | ${int(medianRps(r, 'write'))} | ${p99('write')} | ${s.baselines.map((b) => SHORT_NAMES[b]).join(' / ') || '–'} | ${ratioCell(all, s.id, s.baselines, 'read')} | ${ratioCell(all, s.id, s.baselines, 'write')} | ${int(median(r.cpu.read))} / ${int(median(r.cpu.write))} | ${rt} | ${cmds} | ${r.bytesPerSession !== undefined ? int(r.bytesPerSession) : '–'} | ${r.cookieBytes ?? '–'} |`,
    )
  }
  return lines.join('\n')
}

function breakdown(calls: Map<string, number>, requests: number): string {
  if (requests === 0 || calls.size === 0) return '–'
  return [...calls]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${(n / requests).toFixed(2)}`)
    .join(', ')
}

/** Per-command detail for Redis scenarios: commandstats under load, and MONITOR's split of client vs in-script commands. */
export function commandTable(all: Map<ScenarioId, Results>): string {
  const lines = [
    '| scenario | endpoint | commandstats per request (under load) | sent by the client (MONITOR) | run inside scripts (MONITOR) |',
    '|---|---|---|---|---|',
  ]
  for (const s of SCENARIOS) {
    const r = all.get(s.id)
    if (!r || !s.redis) continue
    for (const e of ENDPOINTS) {
      const m = r.roundTrips?.[e]
      lines.push(
        `| ${SHORT_NAMES[s.id]} | ${e} | ${breakdown(r.commands[e].calls, r.commands[e].requests)} | ${m ? breakdown(m.client, m.requests) : '–'} | ${m ? breakdown(m.script, m.requests) : '–'} |`,
      )
    }
  }
  return lines.join('\n')
}

/** Bytes per session, keys per session, and what one key of each type costs. */
export function memoryTable(all: Map<ScenarioId, Results>): string {
  const lines = [
    '| scenario | B/session (used_memory) | keys/session | MEMORY USAGE per key (sampled) |',
    '|---|---:|---:|---|',
  ]
  for (const s of SCENARIOS) {
    const r = all.get(s.id)
    if (!r || r.bytesPerSession === undefined) continue
    const types = [...(r.keyTypes ?? new Map<string, { keys: number; bytes: number }>())]
      .map(([type, v]) => `${type} ${Math.round(v.bytes)} B`)
      .join(', ')
    lines.push(
      `| ${SHORT_NAMES[s.id]} | ${int(r.bytesPerSession)} | ${fixed(r.keysPerSession)} | ${types || '–'} |`,
    )
  }
  return lines.join('\n')
}

export function postgresTable(all: Map<ScenarioId, Results>): string {
  const lines = ['| scenario | B/session (pg_total_relation_size) |', '|---|---:|']
  for (const s of SCENARIOS) {
    const bytes = all.get(s.id)?.postgresBytesPerSession
    if (bytes !== undefined) lines.push(`| ${SHORT_NAMES[s.id]} | ${int(bytes)} |`)
  }
  return lines.join('\n')
}

export interface TargetOutcome {
  readonly text: string
  readonly measured: string
  readonly met: boolean
  /** For ratio targets: the same ratio computed from server CPU per request (baseline µs ÷ own µs). */
  readonly cpuRatio?: string
}

/** Every target of issue 15, checked against this run. */
export function targets(all: Map<ScenarioId, Results>): TargetOutcome[] {
  const out: TargetOutcome[] = []
  for (const t of RATIO_TARGETS) {
    const ratio =
      medianRps(all.get(t.scenario), t.endpoint) / medianRps(all.get(t.baseline), t.endpoint)
    if (!Number.isFinite(ratio)) continue
    const cpu =
      median(all.get(t.baseline)?.cpu[t.endpoint] ?? []) /
      median(all.get(t.scenario)?.cpu[t.endpoint] ?? [])
    out.push({
      text: `${SHORT_NAMES[t.scenario]} ${t.endpoint} ≥ ${t.min}× ${SHORT_NAMES[t.baseline]} (${t.source})`,
      measured: `${ratio.toFixed(2)}×`,
      met: ratio >= t.min,
      cpuRatio: `${fixed(cpu)}×`,
    })
  }
  for (const id of HALLPASS_REDIS) {
    const r = all.get(id)
    if (!r) continue
    for (const e of ENDPOINTS) {
      const rt = roundTripsPerRequest(r, e)
      if (rt !== undefined)
        out.push({
          text: `${SHORT_NAMES[id]} ${e}: ≤ ${MAX_ROUND_TRIPS[e]} Redis round trip${MAX_ROUND_TRIPS[e] > 1 ? 's' : ''} per request (#15)`,
          measured: rt.toFixed(2),
          met: rt <= MAX_ROUND_TRIPS[e] + 0.005,
        })
    }
    if (r.bytesPerSession !== undefined)
      out.push({
        text: `${SHORT_NAMES[id]}: ≤ ${MAX_BYTES_PER_SESSION} B per session in Redis (#15)`,
        measured: `${Math.round(r.bytesPerSession)} B`,
        met: r.bytesPerSession <= MAX_BYTES_PER_SESSION,
      })
  }
  return out
}

export function targetTable(outcomes: readonly TargetOutcome[]): string {
  return [
    '| target | measured | | same ratio from server CPU µs/req |',
    '|---|---:|---|---:|',
    ...outcomes.map(
      (o) =>
        `| ${o.text} | ${o.measured} | ${o.met ? 'met' : '**missed**'} | ${o.cpuRatio ?? '–'} |`,
    ),
  ].join('\n')
}

/** Every run of every scenario, in the order they ran: shows the spread behind each median. */
export function spreadTable(all: Map<ScenarioId, Results>): string {
  const lines = [
    '| scenario | read req/s per repetition | write req/s per repetition |',
    '|---|---|---|',
  ]
  for (const s of SCENARIOS) {
    const r = all.get(s.id)
    if (r)
      lines.push(
        `| ${SHORT_NAMES[s.id]} | ${r.runs.read.map((x) => int(x.rps)).join(', ')} | ${r.runs.write.map((x) => int(x.rps)).join(', ')} |`,
      )
  }
  return lines.join('\n')
}
