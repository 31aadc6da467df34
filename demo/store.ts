// Chooses the session store from the config: SQLite (the default, in the app's database), Redis, Redis Cluster or Postgres.
import type Database from 'better-sqlite3'
import pg from 'pg'
import { createClient, createCluster } from 'redis'
import type { Store } from 'hallpass'
import { sqliteStore } from 'hallpass/stores/sqlite'
import { redisStore } from 'hallpass/stores/redis'
import { migratePostgres, postgresStore } from 'hallpass/stores/postgres'
import { ConfigError, type AppConfig } from './config.ts'

export interface StoreChoice {
  readonly kind: 'sqlite' | 'redis' | 'postgres'
  readonly store: Store
  /** The Redis connection the login throttle should share, when sessions live in Redis. */
  readonly throttleRedis: object | undefined
  /** The pg Pool the login throttle should share, when sessions live in Postgres. */
  readonly throttlePostgres?: object | undefined
  close(): Promise<void>
}

const CONNECT_TIMEOUT_MS = 3000

/**
 * Opens the configured store. An unreachable Redis at startup is a ConfigError (one line, exit 1);
 * once connected, the client reconnects on its own and requests fail with 503 while it is down.
 */
export async function openStore(
  config: Pick<AppConfig, 'redisUrl' | 'redisClusterNodes' | 'postgresUrl'>,
  db: Database.Database,
): Promise<StoreChoice> {
  if (config.postgresUrl !== undefined) return openPostgres(config.postgresUrl)
  if (config.redisUrl === undefined && config.redisClusterNodes === undefined) {
    const store = sqliteStore({ database: db })
    return { kind: 'sqlite', store, throttleRedis: undefined, close: () => store.close() }
  }
  let connected = false
  const socket = {
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Before the first connection: give up at once, so startup fails fast. After: retry with a capped backoff.
    reconnectStrategy: (retries: number, cause: Error): number | Error =>
      connected ? Math.min(100 * 2 ** retries, 2000) : cause,
  }
  const where =
    config.redisUrl !== undefined
      ? redactUrl(config.redisUrl)
      : `cluster ${config.redisClusterNodes?.map((n) => `${n.host}:${n.port}`).join(',')}`
  const client =
    config.redisUrl !== undefined
      ? createClient({ url: config.redisUrl, socket })
      : createCluster({
          rootNodes: (config.redisClusterNodes ?? []).map((n) => ({
            socket: { host: n.host, port: n.port },
          })),
          defaults: { socket },
        })
  let reported = false
  client.on('error', (err: unknown) => {
    if (!connected || reported) return
    reported = true // one line per outage, not one per retry
    console.error(
      `Redis (${where}) connection error: ${err instanceof Error ? err.message : String(err)}`,
    )
  })
  client.on('ready', () => {
    reported = false
  })
  try {
    await client.connect()
  } catch (err) {
    try {
      client.destroy()
    } catch {
      // already closed by the failed connect
    }
    throw new ConfigError(
      `cannot reach Redis at ${where}: ${err instanceof Error ? err.message || err.name : String(err)}`,
    )
  }
  connected = true
  const store = redisStore({ client })
  return {
    kind: 'redis',
    store,
    throttleRedis: client,
    async close() {
      await store.close()
      await Promise.resolve(client.close()).catch(() => undefined)
    },
  }
}

/**
 * Sessions and the throttle in Postgres through one pg Pool. The migration runs at startup (it is a no-op once done);
 * an unreachable database then is a ConfigError. Later outages are 503s, and the pool reconnects on its own.
 */
async function openPostgres(url: string): Promise<StoreChoice> {
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    max: 10,
  })
  let reported = false
  pool.on('error', (err) => {
    if (reported) return
    reported = true // one line per outage, not one per dropped connection
    console.error(`Postgres (${redactUrl(url, 'POSTGRES_URL')}) connection error: ${err.message}`)
  })
  pool.on('connect', () => {
    reported = false
  })
  try {
    await migratePostgres({ client: pool })
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw new ConfigError(
      `cannot set up Postgres at ${redactUrl(url, 'POSTGRES_URL')}: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
  const store = postgresStore({ client: pool })
  return {
    kind: 'postgres',
    store,
    throttleRedis: undefined,
    throttlePostgres: pool,
    async close() {
      await store.close()
      await pool.end().catch(() => undefined)
    },
  }
}

/** The URL without its password, for messages. */
function redactUrl(url: string, name = 'REDIS_URL'): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return name
  }
}
