// hallpass against express-session, @fastify/session and iron-session: wrk load on each scenario server, interleaved, medians (issue 7).
import { writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import {
  ENDPOINTS,
  SCENARIOS,
  isScenarioId,
  type Endpoint,
  type Scenario,
  type ScenarioId,
} from './scenarios/index.ts'
import { spawnRuntimeScenario, spawnScenario, type Child } from './lib/children.ts'
import { checkRead, checkWrite, login, loginMany, sequential } from './lib/client.ts'
import { machine } from './lib/machine.ts'
import { PG_TABLES, startBenchPostgres, type BenchPostgres } from './lib/postgres.ts'
import { profileScenario } from './lib/profile.ts'
import {
  commandDelta,
  commandStats,
  memoryByType,
  monitor,
  startRedis,
  usedMemory,
  type BenchRedis,
} from './lib/redis.ts'
import {
  commandTable,
  emptyResults,
  mainTable,
  memoryTable,
  postgresTable,
  spreadTable,
  targets,
  targetTable,
  type Results,
} from './lib/report.ts'
import { CONNECTIONS, problems, runWrk, runWrkUntil, THREADS } from './lib/wrk.ts'

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    reps: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'first-warmup': { type: 'string' },
    sessions: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
})
const smoke = args.smoke ?? false
const num = (value: string | undefined, fallback: number): number =>
  value === undefined ? fallback : Number(value)
const config = {
  reps: num(args.reps, smoke ? 1 : 3),
  seconds: num(args.duration, smoke ? 1 : 5),
  warmup: num(args.warmup, smoke ? 0 : 1),
  firstWarmup: num(args['first-warmup'], smoke ? 0 : 3),
  sessions: num(args.sessions, smoke ? 200 : 10_000),
  countRequests: smoke ? 5 : 50,
}
// A measured run needs this many answers. Smoke mode lengthens its 1-s run until they come (1, 2, 4, 8 s: at most 15 s);
// a full run gets exactly `seconds` and fails when none came.
const enough = smoke ? { requests: 5, maxSeconds: 15 } : { requests: 1, maxSeconds: config.seconds }
const only =
  args.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) ?? []
for (const id of only)
  if (!isScenarioId(id))
    throw new Error(
      `--only: unknown scenario "${id}"; known: ${SCENARIOS.map((s) => s.id).join(', ')}`,
    )
const selected = only.length > 0 ? SCENARIOS.filter((s) => only.includes(s.id)) : SCENARIOS
const USER = 'user-1'
const log = (line: string): void => void process.stderr.write(`${line}\n`)
const failures: string[] = []

/** The end of what a scenario server wrote to stderr, on a line of its own, for a failure message ('' when nothing). */
function stderrTail(child: Child): string {
  const text = child.stderr()
  return text ? `\n${text.slice(-2000)}` : ''
}

/** One wrk run of one endpoint (after a warm-up); with `alone`, Redis commands are counted from INFO commandstats around it. */
async function measure(
  redis: BenchRedis,
  postgres: BenchPostgres | undefined,
  s: Scenario,
  child: Child,
  e: Endpoint,
  results: Results,
  warmup: number,
  alone: boolean,
): Promise<void> {
  // A fresh session for every run: its cookie is valid, and no touch interval (60 s) elapses during the run.
  const session = await login(child.url, USER)
  if (!s.id.endsWith('bare')) results.cookieBytes ??= session.bytes
  await checkRead(child.url, session.cookie, s.id.endsWith('bare') ? undefined : USER)
  if (e === 'write') await checkWrite(child.url, session.cookie)
  // Smoke mode shares the machine with the rest of `npm test`: it checks answers, so a slow one (up to 30 s) is no error.
  const run = {
    url: `${child.url}/${e}`,
    method: e === 'read' ? 'GET' : 'POST',
    cookie: session.cookie,
    timeout: smoke ? 30 : 2,
  } as const
  if (warmup > 0) {
    const warm = await runWrk({ ...run, seconds: warmup })
    for (const p of problems(warm)) failures.push(`${s.id} ${e} warm-up: ${p}`)
  }
  const before = s.redis && alone ? await commandStats(redis) : undefined
  const cpuBefore = await child.cpu()
  const dbBefore = s.postgres ? postgres?.cpu() : undefined
  const result = await runWrkUntil(
    { ...run, seconds: config.seconds },
    enough.requests,
    enough.maxSeconds,
  )
  if (result.requests > 0) results.cpu[e].push(((await child.cpu()) - cpuBefore) / result.requests)
  if (dbBefore !== undefined && postgres && result.requests > 0)
    (results.postgresCpu ??= { read: [], write: [] })[e].push(
      (postgres.cpu() - dbBefore) / result.requests,
    )
  if (before) {
    await new Promise((resolve) => setTimeout(resolve, 50)) // requests still in flight when wrk stopped
    const delta = commandDelta(before, await commandStats(redis))
    const into = results.commands[e]
    for (const [name, n] of delta) into.calls.set(name, (into.calls.get(name) ?? 0) + n)
    into.requests += result.requests
  }
  results.runs[e].push(result)
  const found = problems(result, enough.requests)
  for (const p of found) failures.push(`${s.id} ${e}: ${p}${stderrTail(child)}`)
  log(
    `  ${s.id.padEnd(22)} ${e.padEnd(5)} ${Math.round(result.rps).toLocaleString('en-US').padStart(8)} req/s  p99 ${result.p99.toFixed(2)} ms${result.seconds > config.seconds * 1.5 ? `  (${result.seconds.toFixed(0)} s)` : ''}${found.length ? `  FAILED: ${found.join(', ')}` : ''}`,
  )
}

/** MONITOR over a few sequential requests: which commands a client sends, and which run inside scripts. */
async function countRoundTrips(
  redis: BenchRedis,
  s: Scenario,
  child: Child,
  results: Results,
): Promise<void> {
  const session = await login(child.url, USER)
  await checkRead(child.url, session.cookie, USER)
  const watch = await monitor(redis)
  try {
    await watch.take()
    const seen = {} as NonNullable<Results['roundTrips']>
    for (const e of ENDPOINTS) {
      const before = await commandStats(redis)
      await sequential(child.url, session.cookie, e, config.countRequests)
      seen[e] = { ...(await watch.take()), requests: config.countRequests }
      // Smoke mode runs read and write together, so its commandstats come from these sequential requests instead.
      if (results.commands[e].requests === 0)
        results.commands[e] = {
          calls: commandDelta(before, await commandStats(redis)),
          requests: config.countRequests,
        }
      for (const m of [seen[e].client, seen[e].script]) m.delete('info')
    }
    results.roundTrips = seen
  } finally {
    watch.close()
  }
}

/** pg_stat_statements over a few sequential requests: the statements the server ran per request, by kind. */
async function countPostgresStatements(
  postgres: BenchPostgres,
  child: Child,
  results: Results,
): Promise<void> {
  const session = await login(child.url, USER)
  await checkRead(child.url, session.cookie, USER)
  const counted = {} as NonNullable<Results['postgresStatements']>
  for (const e of ENDPOINTS) {
    await sequential(child.url, session.cookie, e, 1) // statements a connection prepares on first use
    const before = await postgres.statements()
    await sequential(child.url, session.cookie, e, config.countRequests)
    const kinds = new Map<string, { calls: number; micros: number }>()
    for (const [query, now] of await postgres.statements()) {
      const was = before.get(query) ?? { calls: 0, micros: 0 }
      if (now.calls === was.calls) continue
      const kind = /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase() ?? '?'
      const into = kinds.get(kind) ?? { calls: 0, micros: 0 }
      into.calls += (now.calls - was.calls) / config.countRequests
      into.micros += (now.micros - was.micros) / config.countRequests
      kinds.set(kind, into)
    }
    counted[e] = kinds
  }
  results.postgresStatements = counted
}

/** used_memory and key count before and after logging in `count` distinct users, on an otherwise empty Redis. */
async function measureBytes(redis: BenchRedis, child: Child, results: Results): Promise<void> {
  await redis.admin.flushAll()
  const memoryBefore = await usedMemory(redis)
  const keysBefore = await redis.admin.dbSize()
  await loginMany(child.url, config.sessions)
  results.bytesPerSession = ((await usedMemory(redis)) - memoryBefore) / config.sessions
  results.keysPerSession = ((await redis.admin.dbSize()) - keysBefore) / config.sessions
  results.keyTypes = await memoryByType(redis)
  await redis.admin.flushAll()
}

/** Table growth over `count` logins of distinct users, from an empty table. */
async function measurePostgresBytes(
  postgres: BenchPostgres,
  s: Scenario,
  child: Child,
  results: Results,
): Promise<void> {
  const table = s.id.startsWith('hallpass') ? PG_TABLES.hallpass : PG_TABLES.peer
  await postgres.truncate(table)
  const before = await postgres.tableBytes(table)
  await loginMany(child.url, config.sessions)
  results.postgresBytesPerSession = ((await postgres.tableBytes(table)) - before) / config.sessions
  await postgres.truncate(table)
}

async function main(): Promise<number> {
  const started = Date.now()
  const redis = await startRedis()
  const postgres = selected.some((s) => s.postgres) ? await startBenchPostgres() : undefined
  if (postgres) process.env.HALLPASS_BENCH_POSTGRES_URL = postgres.url
  const children = new Map<ScenarioId, Child>()
  try {
    if (args.profile) {
      for (const s of selected) {
        if (s.runtime) log(`${s.id}: --profile profiles the Node scenarios only`)
        else console.log(await profileScenario(s.id, redis.url, config.seconds, ENDPOINTS))
      }
      return 0
    }
    log(`redis-server on ${redis.url}; starting ${selected.length} scenario servers`)
    // The first server fills the transpile cache (bench/lib/ts-loader.mjs) for every module; the rest start from it,
    // one per core at a time: each server's start-up deadline (60 s) then times its own start, not a queue of 25
    // starts sharing 2 cores. Each server joins `children` once up, so `finally` stops it if another fails to start.
    const [first, ...rest] = selected as [Scenario, ...Scenario[]]
    const up = (child: Child): void => void children.set(child.id, child)
    up(
      first.runtime
        ? await spawnRuntimeScenario(first)
        : await spawnScenario(first.id, first.redis ? redis.url : '', { preload: true }),
    )
    const errors: unknown[] = []
    const worker = async (): Promise<void> => {
      for (let s = rest.shift(); s && errors.length === 0; s = rest.shift())
        await (s.runtime ? spawnRuntimeScenario(s) : spawnScenario(s.id, s.redis ? redis.url : ''))
          .then(up)
          .catch((err: unknown) => void errors.push(err))
    }
    await Promise.all(Array.from({ length: availableParallelism() }, worker))
    if (errors.length > 0) throw errors[0]
    log(`servers ready after ${((Date.now() - started) / 1000).toFixed(1)} s`)
    const all = new Map<ScenarioId, Results>(selected.map((s) => [s.id, emptyResults(s.id)]))
    for (let rep = 0; rep < config.reps; rep++) {
      log(`repetition ${rep + 1} of ${config.reps}`)
      // Round-robin: every scenario once per repetition, each repetition starting one scenario later.
      const order = selected.map((_, i) => selected[(i + rep) % selected.length] as Scenario)
      for (const s of order) {
        const run = async (e: Endpoint): Promise<void> => {
          try {
            await measure(
              redis,
              postgres,
              s,
              children.get(s.id) as Child,
              e,
              all.get(s.id) as Results,
              rep === 0 ? config.firstWarmup : config.warmup,
              !smoke,
            )
          } catch (err) {
            const child = children.get(s.id) as Child
            const why = `${String(err)}${(err as Error).cause ? ` (${String((err as Error).cause)})` : ''}`
            failures.push(`${s.id} ${e}: ${why}${stderrTail(child)}`)
            log(`  ${s.id} ${e}: FAILED ${why}`)
          }
        }
        // Smoke mode loads /read and /write at once (it checks that everything answers 2xx, it measures nothing).
        if (smoke) await Promise.all(ENDPOINTS.map(run))
        else for (const e of rep % 2 ? [...ENDPOINTS].reverse() : ENDPOINTS) await run(e)
      }
    }
    log('counting Redis round trips (MONITOR) and bytes per session')
    for (const s of selected.filter((x) => x.redis)) {
      const child = children.get(s.id) as Child
      const results = all.get(s.id) as Results
      try {
        await countRoundTrips(redis, s, child, results)
        if (s.sessionsInRedis) await measureBytes(redis, child, results)
      } catch (err) {
        failures.push(`${s.id} commands/memory: ${(err as Error).message}`)
      }
    }
    for (const s of selected.filter((x) => x.postgres && postgres)) {
      try {
        await countPostgresStatements(
          postgres as BenchPostgres,
          children.get(s.id) as Child,
          all.get(s.id) as Results,
        )
      } catch (err) {
        failures.push(`${s.id} Postgres statements: ${(err as Error).message}`)
      }
    }
    for (const s of selected.filter((x) => x.sessionsInPostgres && postgres)) {
      try {
        await measurePostgresBytes(
          postgres as BenchPostgres,
          s,
          children.get(s.id) as Child,
          all.get(s.id) as Results,
        )
      } catch (err) {
        failures.push(`${s.id} Postgres bytes: ${(err as Error).message}`)
      }
    }
    const outcomes = targets(all)
    const minutes = ((Date.now() - started) / 60_000).toFixed(1)
    console.log(
      [
        `## Run of ${new Date().toISOString().slice(0, 10)}${smoke ? ' (smoke: not a measurement)' : ''}`,
        '',
        `Machine: ${machine()}.`,
        `Command: \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` (${minutes} min). wrk ${THREADS} threads, ${CONNECTIONS} connections, ${config.seconds} s per run after a warm-up (${config.firstWarmup} s the first time, then ${config.warmup} s), ${config.reps} interleaved repetitions, medians.`,
        '',
        mainTable(all),
        '',
        'Ratios are of median req/s from this run. Server CPU: user + system time of the scenario server process per request, median over repetitions (less sensitive than req/s to other load on a shared machine). RT: Redis round trips (commands a client sent, counted with MONITOR over sequential requests); cmds: every command Redis executed per request, including those inside scripts (INFO commandstats deltas over the measured wrk runs; in smoke mode over the sequential requests).',
        `B/session: INFO used_memory growth (less client buffers) over ${config.sessions.toLocaleString('en-US')} logins of distinct users, divided by ${config.sessions.toLocaleString('en-US')}. Cookie B: name=value bytes of the cookies a login sets.`,
        '',
        '### Targets',
        '',
        targetTable(outcomes),
        '',
        '### Redis commands per request',
        '',
        commandTable(all),
        '',
        '### Redis memory per session',
        '',
        memoryTable(all),
        '',
        '### Postgres per request and per session',
        '',
        `Statements: pg_stat_statements calls per request over ${config.countRequests} sequential requests, by kind (WITH is a statement with CTEs: hallpass's commit), and the server's planning + execution time for them (pg_stat_statements, unloaded). Database CPU: user + system time of the PostgreSQL server's processes (postmaster, backends, writers) per request over the measured runs, median. B/session: pg_total_relation_size growth (heap, indexes, TOAST) over ${config.sessions.toLocaleString('en-US')} logins of distinct users, divided by ${config.sessions.toLocaleString('en-US')}.`,
        '',
        postgresTable(all),
        '',
        '### Every repetition (req/s)',
        '',
        spreadTable(all),
      ].join('\n'),
    )
    if (args.json)
      writeFileSync(
        args.json,
        JSON.stringify(
          [...all.values()],
          (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v),
          2,
        ),
      )
    if (failures.length > 0) {
      log(`\n${failures.length} failure(s):\n${failures.join('\n')}`)
      return 1
    }
    return 0
  } finally {
    await Promise.all([...children.values()].map((c) => c.stop()))
    await redis.stop()
    await postgres?.stop()
  }
}

process.exitCode = await main().catch((err: unknown) => {
  log(`bench failed: ${(err as Error).stack ?? String(err)}`)
  return 1
})
