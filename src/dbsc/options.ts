// Validates the `deviceBound` option of createSessions (DBSC endpoints, bound cookie lifetime, enforcement policy).
import { configError } from '../errors.ts'
import { parseDuration, type Duration } from '../core/duration.ts'
import type { ResolvedCookieOptions } from '../core/cookies.ts'

/** Signature algorithms a browser may register a key with. */
export type DeviceKeyAlgorithm = 'ES256' | 'RS256'

/** Options for device-bound sessions (W3C DBSC). Off unless given. */
export interface DeviceBoundOptions {
  /** Path of the registration endpoint the browser POSTs its new public key to. @default '/dbsc/register' */
  registrationPath?: string
  /** Path of the refresh endpoint the browser calls when the bound cookie is missing. @default '/dbsc/refresh' */
  refreshPath?: string
  /** Lifetime of the short-lived bound cookie; a copied cookie works at most this long. @default '10m' */
  boundCookieTtl?: Duration
  /** How long a challenge stays usable; must exceed boundCookieTtl (the browser signs a cached one when the cookie runs out). @default boundCookieTtl + 5m */
  challengeTtl?: Duration
  /**
   * 'session': every request of a bound session needs the bound cookie (401 without it).
   * 'route': only routes guarded with `requireBoundDevice()` from `hallpass/dbsc` need it. @default 'session'
   */
  enforce?: 'session' | 'route'
  /** Algorithms offered in `Secure-Session-Registration`. @default ['ES256', 'RS256'] */
  algorithms?: readonly DeviceKeyAlgorithm[]
}

export interface ResolvedDeviceBound {
  readonly registrationPath: string
  readonly refreshPath: string
  readonly boundCookieTtl: number
  readonly challengeTtl: number
  readonly enforce: 'session' | 'route'
  readonly algorithms: readonly DeviceKeyAlgorithm[]
  /** The bound cookie: the session cookie's attributes under `<name>-dbsc`. */
  readonly cookie: ResolvedCookieOptions
}

const KNOWN = new Set([
  'registrationPath',
  'refreshPath',
  'boundCookieTtl',
  'challengeTtl',
  'enforce',
  'algorithms',
])

function path(name: string, value: unknown, fallback: string): string {
  const result = value ?? fallback
  if (typeof result !== 'string' || !/^\/[A-Za-z0-9._~/-]*$/.test(result))
    configError(`deviceBound.${name} must be a plain absolute path such as '${fallback}'`)
  return result
}

/** Checks `deviceBound` and fills defaults. Throws HallpassError CONFIG_INVALID with a fix-it message. */
export function resolveDeviceBound(
  options: unknown,
  cookie: ResolvedCookieOptions,
): ResolvedDeviceBound | undefined {
  if (options === undefined || options === false) return undefined
  const given = options === true ? {} : options
  if (typeof given !== 'object' || given === null)
    configError('deviceBound must be true or an object such as { boundCookieTtl: "10m" }')
  for (const key of Object.keys(given))
    if (!KNOWN.has(key))
      configError(`unknown deviceBound option "${key}"; known options are ${[...KNOWN].join(', ')}`)
  const o = given as DeviceBoundOptions
  const boundCookieTtl = parseDuration(o.boundCookieTtl ?? '10m')
  if (boundCookieTtl === undefined || boundCookieTtl < 10_000)
    configError(
      `deviceBound.boundCookieTtl must be a duration of at least 10s such as '10m' (got ${JSON.stringify(o.boundCookieTtl)})`,
    )
  const challengeTtl =
    o.challengeTtl === undefined ? boundCookieTtl + 300_000 : parseDuration(o.challengeTtl)
  if (challengeTtl === undefined || challengeTtl <= boundCookieTtl) {
    configError(
      `deviceBound.challengeTtl must be longer than boundCookieTtl: the browser signs the challenge it got with the last cookie once that cookie runs out`,
    )
  }
  const enforce = o.enforce ?? 'session'
  if (enforce !== 'session' && enforce !== 'route')
    configError(`deviceBound.enforce must be 'session' or 'route'`)
  const algorithms = o.algorithms ?? ['ES256', 'RS256']
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    !algorithms.every((alg) => alg === 'ES256' || alg === 'RS256')
  ) {
    configError(`deviceBound.algorithms must list 'ES256' and/or 'RS256'`)
  }
  const registrationPath = path('registrationPath', o.registrationPath, '/dbsc/register')
  const refreshPath = path('refreshPath', o.refreshPath, '/dbsc/refresh')
  if (registrationPath === refreshPath)
    configError('deviceBound.registrationPath and refreshPath must differ')
  return {
    registrationPath,
    refreshPath,
    boundCookieTtl,
    challengeTtl,
    enforce,
    algorithms,
    cookie: { ...cookie, name: `${cookie.name}-dbsc` },
  }
}
