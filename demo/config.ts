// Reads the demo's configuration from the environment into a validated object; bad values throw one clear ConfigError.
import { randomBytes } from 'node:crypto'
import type { SecretOption } from 'hallpass'
import { isBareOrigin } from 'hallpass/csrf'

/** A configuration mistake. The server prints the message as one line and exits with code 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export interface RedisNode {
  readonly host: string
  readonly port: number
}

export interface AppConfig {
  readonly production: boolean
  readonly port: number
  readonly host: string
  /** The origin browsers use to reach the app; the only origin CSRF accepts. */
  readonly appOrigin: string
  readonly secret: SecretOption
  /** True when no SESSION_SECRET was set and a random one was generated (development only). */
  readonly secretGenerated: boolean
  readonly redisUrl: string | undefined
  readonly redisClusterNodes: readonly RedisNode[] | undefined
  /** Sessions and the login throttle in PostgreSQL (the users stay in the SQLite file). */
  readonly postgresUrl: string | undefined
  readonly databasePath: string
  /** Seconds. The admin setting, once saved, replaces `idleTimeout` for standard sessions. */
  readonly idleTimeout: number
  readonly absoluteTimeout: number
  readonly rememberTimeout: number
  readonly touchInterval: number
  readonly maxSessionsPerUser: number
  readonly loginMaxFailures: number
  readonly loginIpMaxFailures: number
  /** Failures before exponential delays start (1 s, 2 s, 4 s...); at or above loginMaxFailures there are none. */
  readonly loginBackoffAfter: number
  readonly lockoutSeconds: number
  /** Window in which failures are counted, per account and per IP. */
  readonly loginWindowSeconds: number
  readonly trustProxy: boolean
  readonly adminPassword: string
  readonly userPassword: string
  /** Where audit events go as JSON lines: a file path, `-` for stdout, or undefined for nowhere. */
  readonly auditLog: string | undefined
  /** Device-bound sessions (DBSC): a browser that supports it binds the session to a key it cannot export. */
  readonly deviceBound: boolean
  /** Seconds a DBSC bound cookie lives: how long a copied cookie jar keeps working. */
  readonly deviceBoundCookieTtl: number
  /** Serve HTTPS with this certificate chain and private key (PEM files), or plain HTTP when undefined. */
  readonly tls: TlsFiles | undefined
}

export interface TlsFiles {
  readonly certFile: string
  readonly keyFile: string
}

type Env = Readonly<Record<string, string | undefined>>

const MIN_SECRET = 32

/** Builds the configuration from `env` (usually `process.env`). Throws ConfigError on the first bad value. */
export function loadConfig(env: Env): AppConfig {
  const production = env.NODE_ENV === 'production'
  const port = integer(env, 'PORT', 3000, 0, 65_535)
  const host = text(env, 'HOST', '127.0.0.1')
  const tls = tlsFiles(optional(env, 'TLS_CERT_FILE'), optional(env, 'TLS_KEY_FILE'))
  const appOrigin = origin(
    env.APP_ORIGIN?.trim() || `${tls ? 'https' : 'http'}://localhost:${port}`,
  )
  const { secret, generated } = secrets(env, production)
  const redisUrl = optional(env, 'REDIS_URL')
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
    fail(`REDIS_URL must start with redis:// or rediss:// (got ${JSON.stringify(redisUrl)})`)
  const redisClusterNodes = clusterNodes(optional(env, 'REDIS_CLUSTER_NODES'))
  if (redisUrl !== undefined && redisClusterNodes !== undefined)
    fail('set either REDIS_URL or REDIS_CLUSTER_NODES, not both')
  const postgresUrl = optional(env, 'POSTGRES_URL')
  if (postgresUrl !== undefined && !/^postgres(ql)?:\/\//.test(postgresUrl))
    fail('POSTGRES_URL must start with postgres:// or postgresql://')
  if (postgresUrl !== undefined && (redisUrl !== undefined || redisClusterNodes !== undefined))
    fail('set POSTGRES_URL or a Redis variable, not both')

  const idleTimeout = integer(env, 'SESSION_IDLE_TIMEOUT', 1800, 1, 31_536_000)
  const absoluteTimeout = integer(env, 'SESSION_ABSOLUTE_TIMEOUT', 86_400, 1, 31_536_000)
  const rememberTimeout = integer(env, 'SESSION_REMEMBER_TIMEOUT', 2_592_000, 1, 34_560_000)
  const touchInterval = integer(env, 'SESSION_TOUCH_INTERVAL', 60, 1, 86_400)
  if (idleTimeout > absoluteTimeout)
    fail(
      `SESSION_IDLE_TIMEOUT (${idleTimeout}) must not exceed SESSION_ABSOLUTE_TIMEOUT (${absoluteTimeout})`,
    )
  if (touchInterval >= idleTimeout)
    fail(
      `SESSION_TOUCH_INTERVAL (${touchInterval}) must be shorter than SESSION_IDLE_TIMEOUT (${idleTimeout})`,
    )
  if (touchInterval >= 300)
    fail(
      `SESSION_TOUCH_INTERVAL (${touchInterval}) must be shorter than 300 seconds, the shortest idle timeout an admin can set`,
    )

  const loginMaxFailures = integer(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000)
  return {
    production,
    port,
    host,
    appOrigin,
    secret,
    secretGenerated: generated,
    redisUrl,
    redisClusterNodes,
    postgresUrl,
    databasePath: text(env, 'DATABASE_PATH', './data/hallpass-demo.db'),
    idleTimeout,
    absoluteTimeout,
    rememberTimeout,
    touchInterval,
    maxSessionsPerUser: integer(env, 'MAX_SESSIONS_PER_USER', 10, 1, 1000),
    loginMaxFailures,
    loginIpMaxFailures: integer(env, 'LOGIN_IP_MAX_FAILURES', 50, 1, 100_000),
    loginBackoffAfter: integer(env, 'LOGIN_BACKOFF_AFTER', 3, 1, 1000),
    lockoutSeconds: integer(env, 'LOCKOUT_SECONDS', 900, 1, 86_400),
    loginWindowSeconds: 900,
    trustProxy: boolean(env, 'TRUST_PROXY', false),
    adminPassword: password(env, 'DEMO_ADMIN_PASSWORD', 'admin-password-123'),
    userPassword: password(env, 'DEMO_USER_PASSWORD', 'user-password-123'),
    auditLog: optional(env, 'AUDIT_LOG'),
    deviceBound: boolean(env, 'DEVICE_BOUND_SESSIONS', false),
    deviceBoundCookieTtl: integer(env, 'DEVICE_BOUND_COOKIE_TTL', 600, 10, 86_400),
    tls,
  }
}

function tlsFiles(certFile: string | undefined, keyFile: string | undefined): TlsFiles | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined
  if (certFile === undefined || keyFile === undefined) {
    fail('set both TLS_CERT_FILE and TLS_KEY_FILE (PEM files) to serve HTTPS, or neither')
  }
  return { certFile, keyFile }
}

function fail(message: string): never {
  throw new ConfigError(message)
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function text(env: Env, name: string, fallback: string): string {
  return optional(env, name) ?? fallback
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    fail(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`)
  return Number(raw)
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name)?.toLowerCase()
  if (raw === undefined) return fallback
  if (['1', 'true', 'yes'].includes(raw)) return true
  if (['0', 'false', 'no'].includes(raw)) return false
  fail(`${name} must be true or false (got ${JSON.stringify(raw)})`)
}

function password(env: Env, name: string, fallback: string): string {
  const value = env[name] ?? fallback
  if (value.length < 12 || value.length > 128) fail(`${name} must be 12 to 128 characters long`)
  return value
}

function origin(value: string): string {
  if (!isBareOrigin(value) || !/^https?:/.test(value)) {
    fail(
      `APP_ORIGIN must be a bare origin such as https://app.example.com, with no path or trailing slash (got ${JSON.stringify(value)})`,
    )
  }
  return value
}

/**
 * SESSION_SECRET signs; SESSION_SECRET_PREVIOUS lists older secrets, newest first, that still verify.
 * hallpass names each key by a hash of the secret, so the order and the removal of SESSION_SECRET_PREVIOUS
 * never invalidate cookies signed by a secret that is still listed (docs/architecture.md, key rotation).
 */
function secrets(env: Env, production: boolean): { secret: SecretOption; generated: boolean } {
  const current = env.SESSION_SECRET
  if (current === undefined || current === '') {
    if (production)
      fail(
        `SESSION_SECRET is required when NODE_ENV=production (at least ${MIN_SECRET} random characters; try: openssl rand -base64 32)`,
      )
    return { secret: randomBytes(32).toString('base64url'), generated: true }
  }
  const previous = (env.SESSION_SECRET_PREVIOUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  for (const [name, value] of [
    ['SESSION_SECRET', current],
    ...previous.map((p, i) => [`SESSION_SECRET_PREVIOUS[${i}]`, p]),
  ] as const) {
    if (value.length < MIN_SECRET)
      fail(
        `${name} must be at least ${MIN_SECRET} characters (got ${value.length}; try: openssl rand -base64 32)`,
      )
  }
  if (previous.length === 0) return { secret: current, generated: false }
  return { secret: [current, ...previous], generated: false }
}

function clusterNodes(raw: string | undefined): RedisNode[] | undefined {
  if (raw === undefined) return undefined
  return raw.split(',').map((entry) => {
    const match = /^\s*([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\s*$/.exec(entry)
    const port = Number(match?.[2])
    if (!match || port < 1 || port > 65_535)
      fail(
        `REDIS_CLUSTER_NODES must be comma-separated host:port pairs (got ${JSON.stringify(entry.trim())})`,
      )
    return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port }
  })
}
