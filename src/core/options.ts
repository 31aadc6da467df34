// Validates createSessions options once, at startup, into a resolved config with millisecond durations.
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { checkOptionKeys, configError, type HallpassError } from '../errors.ts'
import type { KeyRing, SecretOption } from '../crypto/keyring.ts'
import { keySetup } from './build-phase.ts'
import type { SessionData, Store } from '../stores/types.ts'
import { MAX_COOKIE_AGE_SECONDS, resolveCookieOptions, resolvePreviousNames } from './cookies.ts'
import type { CookieOptions, ResolvedCookieOptions } from './cookies.ts'
import { attributesCode } from './cookie-reissue.ts'
import { parseDuration, type Duration } from './duration.ts'
import type { EventListener } from './events.ts'
import { resolveTelemetry, withTelemetry, type SessionTelemetry } from './telemetry.ts'
import { Sealer } from '../crypto/seal.ts'
import { CookieCache } from './cookie-cache.ts'
import { defaultStore } from './default-store.ts'
import { isSealedCookies, SealedMode, type SealedCookies } from './sealed.ts'
import { SealedRevocation } from './sealed-revocation.ts'
import { resolveDataVersions, type DataMigrations, type DataVersions } from './data-version.ts'
import {
  resolveDeviceBound,
  type DeviceBoundOptions,
  type ResolvedDeviceBound,
} from '../dbsc/options.ts'

/** Options for `createSessions`. Every duration is seconds or a string like `'30m'`. */
export interface SessionsOptions<D extends SessionData = SessionData> {
  /** At least 32 random characters; `[newer, older]` (or `{ 2: newer, 1: older }`) to rotate keys without logging anyone out. */
  secret: SecretOption
  /** Where sessions live: a Store, or `sealedCookies()` to keep them in the cookie. @default a memory store, one per process and secret (shared by every copy of the module a framework bundles); use SQLite or Redis to survive restarts or serve from several processes */
  store?: Store | SealedCookies
  /**
   * Cookie cache for store-backed sessions: a sealed snapshot in a second cookie lets reads skip the
   * store for `ttl`. A revoke on another instance can take up to `ttl` to be seen. @default off; `true` means { ttl: '30s' }
   */
  cookieCache?: boolean | { ttl?: Duration }
  /** Any Standard Schema (zod, valibot, arktype): checked on every load and every write; types the data. */
  schema?: StandardSchemaV1<unknown, D>
  /**
   * The version of the data's shape that this deploy reads and writes: raise it by one, with a `migrate` step, when
   * a deploy renames or tightens a field. Records carry it; older data is upgraded on load (written back with the
   * next write), and data from a newer deploy is kept, never deleted (docs/data.md). @default 1
   */
  dataVersion?: number
  /**
   * One upgrade per older data version, keyed by the version it upgrades from: `migrate[n]` takes data at version n
   * and returns it at n + 1; every version from 1 to `dataVersion - 1` needs one.
   * @example `createSessions({ schema, dataVersion: 2, migrate: { 1: ({ name, ...rest }) => ({ ...rest, displayName: name }) } })` (from `hallpass`)
   */
  migrate?: DataMigrations
  /** Inactivity limit; a function is read on every request, so an admin setting applies at once. @default '30m' */
  idleTimeout?: Duration | (() => Duration)
  /** Hard limit from creation, whatever the activity. @default '24h' */
  absoluteTimeout?: Duration
  /** Absolute limit for remember-me sessions (persistent cookie); at most 400 days, what browsers keep a cookie. @default '30d' */
  rememberMeTimeout?: Duration
  /** Inactivity limit for remember-me sessions; may be a function, like `idleTimeout`. @default the rememberMeTimeout */
  rememberMeIdleTimeout?: Duration | (() => Duration)
  /**
   * A request that only reads writes its touch (sliding expiry) at most once per interval; a write always touches.
   * @default '60s'
   */
  touchInterval?: Duration
  /** On login over this many sessions, the user's least recently used sessions (last seen, then created) are evicted, never the new one. @default unlimited */
  maxSessionsPerUser?: number
  /** Largest serialized session data, in bytes. @default 16384 */
  maxDataBytes?: number
  /** Cookie attributes. @default { name: '__Host-hp', secure: true, sameSite: 'lax', path: '/' } */
  cookie?: CookieOptions
  /** Clock in epoch ms; inject one in tests. @default Date.now */
  clock?: () => number
  /** Receives audit events. Exceptions it throws are swallowed. */
  onEvent?: EventListener
  /** Device-bound sessions (W3C DBSC): a copied session cookie stops working on another device. See docs/dbsc.md. @default off */
  deviceBound?: boolean | DeviceBoundOptions
  /**
   * Spans and metrics: `openTelemetry()` from `hallpass/opentelemetry` (docs/telemetry.md). The store is wrapped once,
   * here, and the events feed its counters. @default off (no wrapper, nothing recorded)
   */
  telemetry?: SessionTelemetry
}

export interface ResolvedOptions<D extends SessionData> {
  readonly keys: KeyRing
  /** Set when the manager was created during `next build` without a secret: what every use throws (build-phase.ts). */
  readonly unusable: HallpassError | undefined
  readonly store: Store
  /** Set in sealed-cookie mode: everything that mode does differently. */
  readonly sealed: SealedMode | undefined
  readonly cache: CookieCache | undefined
  readonly schema: StandardSchemaV1<unknown, D> | undefined
  readonly dataVersions: DataVersions
  readonly idleTimeout: () => number
  readonly absoluteTimeout: number
  readonly rememberMeTimeout: number
  readonly rememberMeIdleTimeout: () => number
  readonly touchInterval: number
  readonly maxSessionsPerUser: number | undefined
  readonly maxDataBytes: number
  readonly cookie: ResolvedCookieOptions
  /** `cookie.previousNames`: read when the current name is absent, and cleared on the response. */
  readonly previousCookieNames: readonly string[]
  readonly clock: () => number
  readonly onEvent: EventListener | undefined
  readonly deviceBound: ResolvedDeviceBound | undefined
  /** `createSessions({ telemetry })`, checked; the pipeline traces each request's load and commit with it. */
  readonly telemetry: SessionTelemetry | undefined
}

const KNOWN_OPTIONS = new Set([
  'secret',
  'store',
  'schema',
  'dataVersion',
  'migrate',
  'idleTimeout',
  'absoluteTimeout',
  'rememberMeTimeout',
  'rememberMeIdleTimeout',
  'touchInterval',
  'maxSessionsPerUser',
  'maxDataBytes',
  'cookie',
  'clock',
  'onEvent',
  'cookieCache',
  'deviceBound',
  'telemetry',
])

function duration(name: string, value: unknown, fallback: Duration): number {
  const ms = parseDuration(value ?? fallback)
  if (ms === undefined)
    configError(
      `${name} must be a positive number of seconds or a string like '30m', '24h' or '7d' (got ${JSON.stringify(value)})`,
    )
  return ms
}

function positiveInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isInteger(value) || (value as number) < 1)
    configError(`${name} must be a positive integer (got ${JSON.stringify(value)})`)
  return value as number
}

/** Checks every option and fills defaults. Throws HallpassError CONFIG_INVALID with a fix-it message. */
export function resolveOptions<D extends SessionData>(
  options: SessionsOptions<D>,
): ResolvedOptions<D> {
  if (typeof options !== 'object' || options === null)
    configError('createSessions needs an options object with at least { secret }')
  checkOptionKeys('createSessions', options, KNOWN_OPTIONS)
  const clock = options.clock ?? Date.now
  if (typeof clock !== 'function')
    configError('clock must be a function returning epoch milliseconds')
  const absoluteTimeout = duration('absoluteTimeout', options.absoluteTimeout, '24h')
  const rememberMeTimeout = duration('rememberMeTimeout', options.rememberMeTimeout, '30d')
  const rememberIdle = options.rememberMeIdleTimeout
  const staticRememberIdle =
    typeof rememberIdle === 'function'
      ? undefined
      : duration('rememberMeIdleTimeout', rememberIdle, rememberMeTimeout / 1000)
  const touchInterval = duration('touchInterval', options.touchInterval, '60s')
  const idle = options.idleTimeout
  const staticIdle = typeof idle === 'function' ? undefined : duration('idleTimeout', idle, '30m')
  if (staticIdle !== undefined && staticIdle > absoluteTimeout)
    configError(
      `idleTimeout (${staticIdle / 1000}s) is longer than absoluteTimeout (${absoluteTimeout / 1000}s); shorten it or raise absoluteTimeout`,
    )
  if (staticIdle !== undefined && touchInterval >= staticIdle)
    configError(
      `touchInterval (${touchInterval / 1000}s) must be shorter than idleTimeout (${staticIdle / 1000}s)`,
    )
  if (staticRememberIdle !== undefined && staticRememberIdle > rememberMeTimeout)
    configError('rememberMeIdleTimeout must not exceed rememberMeTimeout')
  if (rememberMeTimeout > MAX_COOKIE_AGE_SECONDS * 1000) {
    configError(
      `rememberMeTimeout (${Math.round(rememberMeTimeout / 86_400_000)} days) is longer than 400 days, the most a browser keeps a cookie (RFC 6265bis caps Max-Age at 400 days), so the cookie would vanish while the session lives on; use at most '400d'`,
    )
  }
  if (
    options.schema !== undefined &&
    typeof options.schema?.['~standard']?.validate !== 'function'
  ) {
    configError('schema must be a Standard Schema (for example a zod, valibot or arktype schema)')
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function')
    configError('onEvent must be a function')
  const { keys, unusable } = keySetup(options.secret)
  const cookie = resolveCookieOptions(options.cookie)
  const previousCookieNames = resolvePreviousNames(options.cookie, cookie)
  const revocationStore = isSealedCookies(options.store) ? options.store.revocation : undefined
  const given = isSealedCookies(options.store)
    ? undefined
    : ((options.store as Store | undefined) ?? defaultStore(keys, options.clock))
  for (const candidate of [given, revocationStore]) {
    if (
      candidate !== undefined &&
      (typeof candidate.get !== 'function' ||
        typeof candidate.create !== 'function' ||
        typeof candidate.patch !== 'function')
    ) {
      configError(
        'store must implement the Store contract (get, create, patch, destroy, listByUser, revoke) or be sealedCookies()',
      )
    }
  }
  const telemetry = resolveTelemetry(options.telemetry)
  // Wrapped once, after the contract check above: every store call the manager makes is then traced and timed.
  const observed = (target: Store): Store => (telemetry ? telemetry.wrapStore(target) : target)
  const longest = Math.max(absoluteTimeout, rememberMeTimeout)
  const revocation =
    revocationStore && new SealedRevocation(observed(revocationStore), clock, longest)
  const sealed = isSealedCookies(options.store)
    ? new SealedMode(new Sealer(keys, 'session'), revocation, attributesCode(cookie), cookie.name)
    : undefined
  const store = sealed ? sealed.store : observed(given as Store)
  let cache: CookieCache | undefined
  if (options.cookieCache) {
    if (sealed)
      configError(
        'cookieCache is for store-backed sessions; sealed cookies already need no store read',
      )
    const ttl = duration(
      'cookieCache.ttl',
      options.cookieCache === true ? undefined : options.cookieCache.ttl,
      '30s',
    )
    cache = new CookieCache(new Sealer(keys, 'cache'), ttl, { ...cookie, name: `${cookie.name}-c` })
  }
  const deviceBound = resolveDeviceBound(options.deviceBound, cookie)
  if (deviceBound && sealed)
    configError(
      'deviceBound needs a store: the device key and its challenges are kept on the server',
    )
  if (deviceBound && cache)
    configError(
      'deviceBound cannot be combined with cookieCache: a cached snapshot could miss a key registered since',
    )
  return {
    deviceBound,
    keys,
    unusable,
    store,
    sealed,
    cache,
    schema: options.schema,
    dataVersions: resolveDataVersions(
      options.dataVersion,
      options.migrate,
      sealed ? undefined : store,
    ),
    idleTimeout:
      typeof idle === 'function'
        ? () => duration('idleTimeout()', idle(), '30m')
        : () => staticIdle as number,
    rememberMeIdleTimeout:
      typeof rememberIdle === 'function'
        ? () => duration('rememberMeIdleTimeout()', rememberIdle(), '30d')
        : () => staticRememberIdle as number,
    absoluteTimeout,
    rememberMeTimeout,
    touchInterval,
    maxSessionsPerUser: positiveInteger('maxSessionsPerUser', options.maxSessionsPerUser),
    maxDataBytes: positiveInteger('maxDataBytes', options.maxDataBytes) ?? 16_384,
    cookie,
    previousCookieNames,
    clock,
    onEvent: withTelemetry(telemetry, options.onEvent),
    telemetry,
  }
}
