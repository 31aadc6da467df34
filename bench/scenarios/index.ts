// The scenario table of issue 7 (plus sealed mode from issue 8): ids, labels, baselines and targets. No server code here.

export type ScenarioId =
  | 'node-bare'
  | 'node-raw-redis'
  | 'hallpass-node-redis'
  | 'hallpass-node-memory'
  | 'iron-session'
  | 'hallpass-sealed'
  | 'node-raw-redis6'
  | 'hallpass-node-redis6'
  | 'node-raw-ioredis'
  | 'hallpass-node-ioredis'
  | 'express-bare'
  | 'express-session'
  | 'hallpass-express'
  | 'fastify-bare'
  | 'fastify-session'
  | 'hallpass-fastify'
  | 'node-raw-postgres'
  | 'hallpass-node-postgres'
  | 'express-session-postgres'
  | 'hallpass-express-postgres'
  | 'bun-bare'
  | 'hallpass-bun-memory'
  | 'deno-bare'
  | 'hallpass-deno-memory'

export interface Scenario {
  readonly id: ScenarioId
  readonly label: string
  /** Needs the bench's redis-server (its commands are counted). */
  readonly redis: boolean
  /** Keeps one record per session in Redis (bytes per session are measured). */
  readonly sessionsInRedis: boolean
  /** Needs the bench's PostgreSQL server; with `sessionsInPostgres`, bytes per session are measured. */
  readonly postgres?: boolean
  readonly sessionsInPostgres?: boolean
  /** Ratios in the main table are against these, in order. */
  readonly baselines: readonly ScenarioId[]
  /** Served by Bun or Deno (bench/scenarios/fetch.ts) instead of a Node child. */
  readonly runtime?: { readonly name: 'bun' | 'deno'; readonly app: 'bare' | 'hallpass' }
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'node-bare', label: 'node:http bare', redis: false, sessionsInRedis: false, baselines: [] },
  {
    id: 'node-raw-redis',
    label: 'node:http + one raw Redis GET (the limit)',
    redis: true,
    sessionsInRedis: false,
    baselines: ['node-bare'],
  },
  {
    id: 'hallpass-node-redis',
    label: 'node:http + hallpass/node, Redis',
    redis: true,
    sessionsInRedis: true,
    baselines: ['node-raw-redis'],
  },
  // The same two scenarios on the other clients users install (#15): node-redis 6 and ioredis, each with its defaults.
  // Bytes per session are not measured again: the layout does not depend on the client.
  {
    id: 'node-raw-redis6',
    label: 'node:http + one raw Redis GET, node-redis 6',
    redis: true,
    sessionsInRedis: false,
    baselines: ['node-raw-redis'],
  },
  {
    id: 'hallpass-node-redis6',
    label: 'node:http + hallpass/node, Redis, node-redis 6',
    redis: true,
    sessionsInRedis: false,
    baselines: ['node-raw-redis6', 'hallpass-node-redis'],
  },
  {
    id: 'node-raw-ioredis',
    label: 'node:http + one raw Redis GET, ioredis',
    redis: true,
    sessionsInRedis: false,
    baselines: ['node-raw-redis'],
  },
  {
    id: 'hallpass-node-ioredis',
    label: 'node:http + hallpass/node, Redis, ioredis',
    redis: true,
    sessionsInRedis: false,
    baselines: ['node-raw-ioredis', 'hallpass-node-redis'],
  },
  {
    id: 'hallpass-node-memory',
    label: 'node:http + hallpass/node, memory store',
    redis: false,
    sessionsInRedis: false,
    baselines: ['node-bare'],
  },
  {
    id: 'iron-session',
    label: 'node:http + iron-session',
    redis: false,
    sessionsInRedis: false,
    baselines: ['node-bare'],
  },
  {
    id: 'hallpass-sealed',
    label: 'node:http + hallpass sealed',
    redis: false,
    sessionsInRedis: false,
    baselines: ['iron-session', 'node-bare'],
  },
  {
    id: 'express-bare',
    label: 'express bare',
    redis: false,
    sessionsInRedis: false,
    baselines: [],
  },
  {
    id: 'express-session',
    label: 'express + express-session + connect-redis',
    redis: true,
    sessionsInRedis: true,
    baselines: ['express-bare'],
  },
  {
    id: 'hallpass-express',
    label: 'express + hallpass/express, Redis',
    redis: true,
    sessionsInRedis: true,
    baselines: ['express-session', 'express-bare'],
  },
  {
    id: 'fastify-bare',
    label: 'fastify bare',
    redis: false,
    sessionsInRedis: false,
    baselines: [],
  },
  {
    id: 'fastify-session',
    label: 'fastify + @fastify/session + connect-redis',
    redis: true,
    sessionsInRedis: true,
    baselines: ['fastify-bare'],
  },
  {
    id: 'hallpass-fastify',
    label: 'fastify + hallpass/fastify, Redis',
    redis: true,
    sessionsInRedis: true,
    baselines: ['fastify-session', 'fastify-bare'],
  },
  // PostgreSQL (#26): the same routes on one pg Pool each (pg's defaults); the limit is one statement by primary key.
  {
    id: 'node-raw-postgres',
    label: 'node:http + one raw Postgres statement by key (the limit)',
    redis: false,
    sessionsInRedis: false,
    postgres: true,
    baselines: ['node-bare'],
  },
  {
    id: 'hallpass-node-postgres',
    label: 'node:http + hallpass/node, Postgres',
    redis: false,
    sessionsInRedis: false,
    postgres: true,
    sessionsInPostgres: true,
    baselines: ['node-raw-postgres'],
  },
  {
    id: 'express-session-postgres',
    label: 'express + express-session + connect-pg-simple',
    redis: false,
    sessionsInRedis: false,
    postgres: true,
    sessionsInPostgres: true,
    baselines: ['express-bare'],
  },
  {
    id: 'hallpass-express-postgres',
    label: 'express + hallpass/express, Postgres',
    redis: false,
    sessionsInRedis: false,
    postgres: true,
    sessionsInPostgres: true,
    baselines: ['express-session-postgres', 'express-bare'],
  },
  // Other runtimes (#25): hallpass/fetch against a bare handler on the same runtime's own server.
  {
    id: 'bun-bare',
    label: 'Bun.serve bare',
    redis: false,
    sessionsInRedis: false,
    baselines: [],
    runtime: { name: 'bun', app: 'bare' },
  },
  {
    id: 'hallpass-bun-memory',
    label: 'Bun.serve + hallpass/fetch, memory store',
    redis: false,
    sessionsInRedis: false,
    baselines: ['bun-bare'],
    runtime: { name: 'bun', app: 'hallpass' },
  },
  {
    id: 'deno-bare',
    label: 'Deno.serve bare',
    redis: false,
    sessionsInRedis: false,
    baselines: [],
    runtime: { name: 'deno', app: 'bare' },
  },
  {
    id: 'hallpass-deno-memory',
    label: 'Deno.serve + hallpass/fetch, memory store',
    redis: false,
    sessionsInRedis: false,
    baselines: ['deno-bare'],
    runtime: { name: 'deno', app: 'hallpass' },
  },
]

export const SHORT_NAMES: Record<ScenarioId, string> = {
  'node-bare': 'node bare',
  'node-raw-redis': 'raw GET',
  'hallpass-node-redis': 'hallpass/node',
  'hallpass-node-memory': 'hallpass memory',
  'node-raw-redis6': 'raw GET (redis 6)',
  'hallpass-node-redis6': 'hallpass/node (redis 6)',
  'node-raw-ioredis': 'raw GET (ioredis)',
  'hallpass-node-ioredis': 'hallpass/node (ioredis)',
  'iron-session': 'iron-session',
  'hallpass-sealed': 'sealed',
  'express-bare': 'express bare',
  'express-session': 'express-session',
  'hallpass-express': 'hallpass/express',
  'fastify-bare': 'fastify bare',
  'fastify-session': '@fastify/session',
  'hallpass-fastify': 'hallpass/fastify',
  'node-raw-postgres': 'raw SELECT',
  'hallpass-node-postgres': 'hallpass/node (pg)',
  'express-session-postgres': 'express-session (pg)',
  'hallpass-express-postgres': 'hallpass/express (pg)',
  'bun-bare': 'Bun bare',
  'hallpass-bun-memory': 'hallpass on Bun',
  'deno-bare': 'Deno bare',
  'hallpass-deno-memory': 'hallpass on Deno',
}

export type Endpoint = 'read' | 'write'
export const ENDPOINTS: readonly Endpoint[] = ['read', 'write']

/** A throughput target: `scenario` on `endpoint` at least `min` times `baseline`, from the same run. */
export interface RatioTarget {
  readonly scenario: ScenarioId
  readonly baseline: ScenarioId
  readonly endpoint: Endpoint
  readonly min: number
  readonly source: string
}

export const RATIO_TARGETS: readonly RatioTarget[] = [
  {
    scenario: 'hallpass-express',
    baseline: 'express-session',
    endpoint: 'read',
    min: 1.5,
    source: '#15',
  },
  {
    scenario: 'hallpass-express',
    baseline: 'express-session',
    endpoint: 'write',
    min: 1.5,
    source: '#15',
  },
  {
    scenario: 'hallpass-fastify',
    baseline: 'fastify-session',
    endpoint: 'read',
    min: 1.6,
    source: '#15',
  },
  {
    scenario: 'hallpass-fastify',
    baseline: 'fastify-session',
    endpoint: 'write',
    min: 1.6,
    source: '#15',
  },
  {
    scenario: 'hallpass-node-redis',
    baseline: 'node-raw-redis',
    endpoint: 'read',
    min: 0.85,
    source: '#15',
  },
  {
    scenario: 'hallpass-node-memory',
    baseline: 'node-bare',
    endpoint: 'read',
    min: 0.8,
    source: '#15',
  },
  {
    scenario: 'hallpass-sealed',
    baseline: 'iron-session',
    endpoint: 'read',
    min: 8,
    source: '#15',
  },
  { scenario: 'hallpass-sealed', baseline: 'node-bare', endpoint: 'read', min: 0.8, source: '#15' },
  {
    scenario: 'hallpass-express-postgres',
    baseline: 'express-session-postgres',
    endpoint: 'read',
    min: 1,
    source: '#26',
  },
  {
    scenario: 'hallpass-express-postgres',
    baseline: 'express-session-postgres',
    endpoint: 'write',
    min: 1,
    source: '#26',
  },
]

/** hallpass scenarios on Redis: the round-trip and bytes-per-session targets apply to them. */
export const HALLPASS_REDIS: readonly ScenarioId[] = [
  'hallpass-node-redis',
  'hallpass-express',
  'hallpass-fastify',
]
/** Round trips per request (#15): a read is one HGETALL; a write is the load and one script, the peers' floor too. */
export const MAX_ROUND_TRIPS: Readonly<Record<Endpoint, number>> = { read: 1, write: 2 }
export const MAX_BYTES_PER_SESSION = 350

export function scenario(id: ScenarioId): Scenario {
  const found = SCENARIOS.find((s) => s.id === id)
  if (!found) throw new Error(`unknown scenario ${id}`)
  return found
}

export function isScenarioId(value: string): value is ScenarioId {
  return SCENARIOS.some((s) => s.id === value)
}
