// Builds the app's dependencies from a config: database and seed users, session store, sessions, throttle, guards, assets.
import { createWriteStream } from 'node:fs'
import { createSessions, isHallpassError, type EventListener, type Store } from 'hallpass'
import { jsonLinesSink } from 'hallpass/audit'
import { createAccess } from 'hallpass/guards'
import { createLoginThrottle } from 'hallpass/throttle'
import { buildAssets } from './assets.ts'
import { ConfigError, type AppConfig } from './config.ts'
import { migrate, openDatabase, Settings, Users } from './db.ts'
import type { AppDeps } from './http.ts'
import { createPasswords, DEFAULT_COST, type HashCost } from './passwords.ts'
import { openStore } from './store.ts'

export interface Runtime {
  readonly deps: AppDeps
  /** True when the database was created (and seeded) by this start. */
  readonly seeded: boolean
  close(): Promise<void>
}

export interface RuntimeOptions {
  /** Argon2 cost; tests lower it. @default DEFAULT_COST */
  readonly hashCost?: HashCost
  /** Extra audit listener (tests). */
  readonly onEvent?: EventListener
  /** Key prefix of the login throttle in Redis. @default 'hp:throttle' */
  readonly throttlePrefix?: string
  /** The sessions' clock (tests move it to expire sessions). @default Date.now */
  readonly clock?: () => number
  /** Wraps the session store (tests use it to simulate an outage). */
  readonly wrapStore?: (store: Store) => Store
}

/** Everything createApp needs. Configuration mistakes (a bad secret, an unreachable Redis) throw ConfigError. */
export async function createRuntime(
  config: AppConfig,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const db = openOrExplain(config.databasePath)
  const closers: Array<() => Promise<void> | void> = [() => void db.close()]
  const close = async (): Promise<void> => {
    for (const fn of closers.reverse()) await Promise.resolve(fn()).catch(() => undefined)
  }
  try {
    const passwords = await createPasswords(options.hashCost ?? DEFAULT_COST)
    const seeded = await migrate(db, async () => [
      {
        email: 'admin@example.com',
        name: 'Ada Admin',
        role: 'admin',
        passwordHash: await passwords.hash(config.adminPassword),
      },
      {
        email: 'user@example.com',
        name: 'Uma User',
        role: 'user',
        passwordHash: await passwords.hash(config.userPassword),
      },
    ])
    const users = new Users(db)
    const settings = new Settings(db)
    const choice = await openStore(config, db)
    closers.push(() => choice.close())
    const store = options.wrapStore ? options.wrapStore(choice.store) : choice.store

    const listeners = [auditSink(config.auditLog, closers), options.onEvent].filter(
      (l): l is EventListener => l !== undefined,
    )
    const sessions = createSessions({
      secret: config.secret,
      store,
      // Read on every request: the admin's setting applies at once, to every standard session.
      idleTimeout: () => {
        const minutes = settings.idleTimeoutMinutes()
        return minutes === undefined ? config.idleTimeout : minutes * 60
      },
      absoluteTimeout: config.absoluteTimeout,
      rememberMeTimeout: config.rememberTimeout,
      touchInterval: config.touchInterval,
      maxSessionsPerUser: config.maxSessionsPerUser,
      // Secure (and named __Host-hp) in production and whenever the app itself serves HTTPS.
      cookie: { secure: config.production || config.tls !== undefined },
      // Off unless DEVICE_BOUND_SESSIONS=true; browsers without DBSC ignore the offer (docs/dbsc.md).
      ...(config.deviceBound && {
        deviceBound: {
          registrationPath: '/dbsc/register',
          refreshPath: '/dbsc/refresh',
          boundCookieTtl: config.deviceBoundCookieTtl,
        },
      }),
      ...(options.clock !== undefined && { clock: options.clock }),
      ...(listeners.length > 0 && { onEvent: (event) => listeners.forEach((l) => l(event)) }),
    })
    const throttle = createLoginThrottle(sessions, {
      ...(choice.throttleRedis !== undefined && { redis: choice.throttleRedis }),
      ...(choice.throttlePostgres !== undefined && { postgres: choice.throttlePostgres }),
      prefix: options.throttlePrefix ?? 'hp:throttle',
      maxFailuresPerAccount: config.loginMaxFailures,
      maxFailuresPerIp: config.loginIpMaxFailures,
      backoffAfter: config.loginBackoffAfter,
      lockout: config.lockoutSeconds,
      accountWindow: config.loginWindowSeconds,
      ipWindow: config.loginWindowSeconds,
    })
    // Guards read the role from the database on every request, never from the request or a stale record.
    const access = createAccess({
      load: (userId) => {
        const user = users.find(userId)
        return user ? { roles: [user.role], permissions: [] } : null
      },
    })
    const assets = await buildAssets()
    const deps: AppDeps = {
      config,
      sessions,
      store,
      storeKind: choice.kind,
      users,
      settings,
      passwords,
      throttle,
      access,
      assets,
    }
    return { deps, seeded, close }
  } catch (err) {
    await close()
    if (isHallpassError(err, 'CONFIG_INVALID'))
      throw new ConfigError(err.message.replace(/^hallpass: /, ''))
    throw err
  }
}

function openOrExplain(path: string): ReturnType<typeof openDatabase> {
  try {
    return openDatabase(path)
  } catch (err) {
    throw new ConfigError(
      `cannot open DATABASE_PATH ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
}

function auditSink(
  target: string | undefined,
  closers: Array<() => Promise<void> | void>,
): EventListener | undefined {
  if (target === undefined) return undefined
  if (target === '-') return jsonLinesSink(process.stdout)
  const stream = createWriteStream(target, { flags: 'a' })
  stream.on('error', (err) => console.error(`AUDIT_LOG ${target}: ${err.message}`))
  closers.push(() => new Promise<void>((resolve) => stream.end(resolve)))
  return jsonLinesSink(stream)
}
