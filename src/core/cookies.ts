// Reads the session cookie from a Cookie header (failing closed on duplicates and look-alikes, previous names too)
// and writes Set-Cookie values.
// Only what cookie 1.1 and 2.x both export: a framework that bundles hallpass (Astro does) resolves `cookie` from the
// app's root, where its own cookie 2 may sit (test/frameworks/bundled-cookie.test.ts).
import { stringifySetCookie } from 'cookie'
import { configError } from '../errors.ts'

/** Cookie attributes. `HttpOnly` is always set and cannot be turned off. */
export interface CookieOptions {
  /** @default '__Host-hp' when `secure`, else 'hp' */
  name?: string
  /** Send only over HTTPS. Turn off only for local development over plain HTTP. @default true */
  secure?: boolean
  /** @default 'lax' */
  sameSite?: 'lax' | 'strict' | 'none'
  /** Omit to keep the cookie host-only (required for `__Host-` names). */
  domain?: string
  /** @default '/' */
  path?: string
  /** CHIPS partitioned cookie (requires `secure`). @default false */
  partitioned?: boolean
  /**
   * Names this cookie had before, newest first. A request that carries only an old name is read (same session)
   * and answered with the cookie under the current name and a clearing Set-Cookie for the old one (Path=/ and no
   * Domain for a `__Host-` name, else the current path and domain). When both are present the current name wins.
   * Remove a name once its cookies have had time to come back (the idle timeout; remember-me's for those users).
   * @default []
   * @example
   * ```ts
   * import { createSessions } from 'hallpass'
   * const sessions = createSessions({ secret, cookie: { name: '__Host-sid', previousNames: ['__Host-hp'] } })
   * ```
   */
  previousNames?: readonly string[]
}

export interface ResolvedCookieOptions {
  readonly name: string
  readonly secure: boolean
  readonly sameSite: 'lax' | 'strict' | 'none'
  readonly domain: string | undefined
  readonly path: string
  readonly partitioned: boolean
}

/** Browsers drop cookies whose name plus value exceed this many bytes. */
export const MAX_COOKIE_BYTES = 4096
/** RFC 6265bis: browsers cap a cookie's lifetime at 400 days; every Max-Age hallpass sends is capped here. */
export const MAX_COOKIE_AGE_SECONDS = 400 * 86_400
const NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Validates cookie options, enforcing the `__Host-`/`__Secure-` rules. Throws CONFIG_INVALID. */
export function resolveCookieOptions(options: CookieOptions = {}): ResolvedCookieOptions {
  const secure = options.secure ?? true
  const name = options.name ?? (secure ? '__Host-hp' : 'hp')
  const path = options.path ?? '/'
  const sameSite = options.sameSite ?? 'lax'
  if (!NAME_PATTERN.test(name))
    configError(`cookie.name "${name}" is not a valid cookie name (use letters, digits, - and _)`)
  if (!['lax', 'strict', 'none'].includes(sameSite))
    configError(`cookie.sameSite must be 'lax', 'strict' or 'none'`)
  if (!path.startsWith('/')) configError(`cookie.path must start with "/"`)
  const lower = name.toLowerCase()
  if (lower.startsWith('__host-') && (!secure || path !== '/' || options.domain !== undefined)) {
    configError(
      `cookie "${name}" uses the __Host- prefix, which needs secure: true, path: '/' and no domain; set cookie.name to 'hp' for plain-HTTP development`,
    )
  }
  if (lower.startsWith('__secure-') && !secure)
    configError(`cookie "${name}" uses the __Secure- prefix, which needs secure: true`)
  if (sameSite === 'none' && !secure) configError(`cookie.sameSite 'none' needs secure: true`)
  if (options.partitioned && !secure) configError(`cookie.partitioned needs secure: true`)
  return {
    name,
    secure,
    sameSite,
    domain: options.domain,
    path,
    partitioned: options.partitioned ?? false,
  }
}

/**
 * Validates `cookie.previousNames` against the resolved current cookie. Throws CONFIG_INVALID for a name that is not
 * a cookie name, repeats, or only looks different from the current one (browsers would send both, and hallpass
 * refuses look-alikes), or that hallpass uses for another cookie.
 */
export function resolvePreviousNames(
  options: CookieOptions | undefined,
  cookie: ResolvedCookieOptions,
): string[] {
  const names: unknown = options?.previousNames ?? []
  if (!Array.isArray(names))
    configError('cookie.previousNames must be a list of the names the cookie had before')
  const seen = new Set([looseName(cookie.name)])
  for (const name of names as unknown[]) {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      configError(`cookie.previousNames: ${JSON.stringify(name)} is not a valid cookie name`)
    }
    if (seen.has(looseName(name))) {
      configError(
        `cookie.previousNames: "${name}" is the cookie's name, a look-alike of it or of another previous name ` +
          '(browsers send both, and look-alikes fail closed); list each old name once',
      )
    }
    if (name === `${cookie.name}-c` || name === `${cookie.name}-dbsc`) {
      configError(
        `cookie.previousNames: "${name}" is the name of hallpass's own cache or device-bound cookie`,
      )
    }
    seen.add(looseName(name))
  }
  return [...(names as string[])]
}

/** What the Cookie header held under our name. */
export type CookieLookup =
  | { readonly value: string; readonly problem?: undefined }
  | { readonly value?: undefined; readonly problem?: 'duplicate' | 'lookalike' }

/** The session cookie found in a Cookie header, and under which of its names. */
export type SessionCookieLookup =
  | { readonly value: string; readonly name: string; readonly problem?: undefined }
  | {
      readonly value?: undefined
      readonly name?: undefined
      readonly problem?: 'duplicate' | 'lookalike'
    }

const ABSENT: CookieLookup = {}

/**
 * Finds the session cookie: under its current name, else under the first previous name present. Duplicates and
 * look-alikes fail closed under whichever name is read; a previous name is never read when the current one is present.
 */
export function readSessionCookie(
  header: string | null | undefined,
  name: string,
  previousNames: readonly string[],
): SessionCookieLookup {
  const current = readCookie(header, name)
  if (current.value !== undefined) return { value: current.value, name }
  if (current.problem) return { problem: current.problem }
  for (const previous of previousNames) {
    const found = readCookie(header, previous)
    if (found.value !== undefined) return { value: found.value, name: previous }
    if (found.problem) return { problem: found.problem }
  }
  return {}
}

/**
 * Finds our cookie in a Cookie header. Two cookies with our exact name, or any cookie whose name
 * only looks like ours (other case, Unicode spaces, zero-width characters), make the lookup fail closed.
 */
export function readCookie(header: string | null | undefined, name: string): CookieLookup {
  if (!header) return ABSENT
  const core = looseName(name.replace(/^__(host|secure)-/i, ''))
  const loose = looseName(name)
  const maxLookalike = name.length * 4 + 8
  let value: string | undefined
  let problem: 'duplicate' | 'lookalike' | undefined
  // One pass, linear in the header: every search starts where the last one ended (no rescans, no regex).
  let start = 0
  let eq = -1
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    if (eq < start) {
      eq = header.indexOf('=', start)
      if (eq === -1) eq = header.length
    }
    if (eq < end) {
      const from = skipBlanks(header, start, eq)
      const to = trimBlanks(header, from, eq)
      const length = to - from
      if (length === name.length && header.startsWith(name, from)) {
        if (value !== undefined) problem = 'duplicate'
        const valueFrom = skipBlanks(header, eq + 1, end)
        value = header.slice(valueFrom, trimBlanks(header, valueFrom, end))
      } else if (
        length >= core.length &&
        length <= maxLookalike &&
        looseName(header.slice(from, to)) === loose
      ) {
        problem = 'lookalike'
      }
    }
    start = end + 1
  }
  if (problem) return { problem }
  return value === undefined ? ABSENT : { value }
}

/** The first index in [from, to) that is not a space or tab (to when there is none). */
function skipBlanks(text: string, from: number, to: number): number {
  while (from < to && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++
  return from
}

/** `to` moved back over trailing spaces and tabs, never before `from`. */
function trimBlanks(text: string, from: number, to: number): number {
  while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--
  return to
}

function looseName(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/[\s\u200b-\u200f\u2060\ufeff\p{Cc}]/gu, '')
    .toLowerCase()
}

const suffixes = new WeakMap<ResolvedCookieOptions, string>()

/**
 * A Set-Cookie value carrying the session; `maxAgeSeconds` makes it persistent (capped at 400 days, so a
 * server whose clock runs behind never asks for more than a browser keeps). The attributes of a
 * browser-session cookie are serialized once per options object (values are ours: base64url and dots).
 */
export function sessionCookie(
  options: ResolvedCookieOptions,
  value: string,
  maxAgeSeconds?: number,
): string {
  if (maxAgeSeconds !== undefined) return serializeCookie(options, value, maxAgeSeconds)
  let suffix = suffixes.get(options)
  if (suffix === undefined) {
    suffix = serializeCookie(options, '').slice(options.name.length + 1)
    suffixes.set(options, suffix)
  }
  return `${options.name}=${value}${suffix}`
}

function serializeCookie(
  options: ResolvedCookieOptions,
  value: string,
  maxAgeSeconds?: number,
): string {
  const maxAge =
    maxAgeSeconds === undefined
      ? undefined
      : Math.min(MAX_COOKIE_AGE_SECONDS, Math.max(0, Math.floor(maxAgeSeconds)))
  return stringifySetCookie({
    name: options.name,
    value,
    httpOnly: true,
    secure: options.secure,
    sameSite: options.sameSite,
    path: options.path,
    ...(options.domain !== undefined && { domain: options.domain }),
    ...(options.partitioned && { partitioned: true }),
    ...(maxAge !== undefined && { maxAge }),
  })
}

/** A Set-Cookie value that removes the session cookie (`Max-Age=0`). */
export function clearedCookie(options: ResolvedCookieOptions): string {
  return sessionCookie(options, '', 0)
}
