// Turns an untrusted "return to" value (`?next=`) into a path on the app's own origin, parsed as a browser would.
import { HallpassError } from '../errors.ts'

/** A base no request is ever made to (`.invalid` is reserved): only its origin matters. */
const BASE = 'http://hallpass.invalid'
/** C0 controls and DEL (browsers drop tab, CR and LF from URLs) and backslashes (browsers read `\` as `/`). */
const UNSAFE = /[\u0000-\u001f\u007f\\]/
/** Rounds of percent-decoding checked (`%252F` → `%2F` → `/`); a path still encoded after them is refused. */
const DECODE_ROUNDS = 3

/**
 * The same-origin path (path, query and fragment, normalized and percent-encoded) that `value` points to,
 * or undefined when it is not one. Exported from `hallpass` as `safeRedirectPath`.
 */
export function sameOriginPath(value: unknown): string | undefined {
  // A relative path ("account") would resolve against the current page; only absolute paths are accepted.
  if (typeof value !== 'string' || !value.startsWith('/') || UNSAFE.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value, BASE)
  } catch {
    return undefined
  }
  if (url.origin !== BASE) return undefined // "//evil.example", or anything else that names a host
  // "/.//evil.example" parses on this origin, but its normalized path "//evil.example" names a host.
  if (url.pathname.startsWith('//') || !decodesSafely(url.pathname)) return undefined
  return url.pathname + url.search + url.hash
}

/** False when a decoding of the path (as a server or proxy might do) holds a control, a backslash or a leading `//`. */
function decodesSafely(pathname: string): boolean {
  let current = pathname
  for (let round = 0; round < DECODE_ROUNDS; round++) {
    let decoded: string
    try {
      decoded = decodeURIComponent(current)
    } catch {
      return false // malformed percent-encoding
    }
    if (decoded === current) return true
    if (UNSAFE.test(decoded) || decoded.startsWith('//')) return false
    current = decoded
  }
  return false
}

/**
 * Turns an untrusted "return to" value (a `?next=` query parameter, a form field) into a path on the app's
 * own origin, safe to redirect to after sign-in; anything else gives `fallback`. The value is parsed the way
 * a browser resolves a `Location` header, never matched by prefix: it must be an absolute path
 * (`/account?tab=2#devices`), and is refused when it names another host (`//evil.example`, `https://…`),
 * holds a backslash (`/\evil.example`, which browsers read as `//`), a control character (tab, CR, LF: browsers
 * drop them, so `/\t/evil.example` becomes `//evil.example`), normalizes to a path starting `//` (`/.//evil`),
 * or decodes to any of these (`/%5Cevil.example`, `/%2F%2Fevil.example`). The result is normalized and
 * percent-encoded, so it is safe to put in a `Location` header. A path that legitimately contains `\` or an
 * encoded backslash or control character also gets the fallback.
 *
 * @param value The untrusted value; anything but a string gives the fallback.
 * @param fallback Where to go instead: a path of your own, checked the same way.
 * @default fallback `'/'`
 * @throws INVALID_ARGUMENT when `fallback` is not a same-origin path itself.
 * @example
 * ```ts
 * import { safeRedirectPath } from 'hallpass'
 * await session.login(user.id)
 * return redirect(safeRedirectPath(url.searchParams.get('next'), '/account'))
 * ```
 */
export function safeRedirectPath(value: unknown, fallback = '/'): string {
  const path = sameOriginPath(value)
  if (path !== undefined) return path
  const safeFallback = sameOriginPath(fallback)
  if (safeFallback === undefined) {
    throw new HallpassError(
      'INVALID_ARGUMENT',
      `safeRedirectPath: the fallback ${JSON.stringify(fallback)} must be a path on this site, like '/account'`,
    )
  }
  return safeFallback
}

/**
 * The sign-in page at `path` (a same-origin path) with `next`, the page the visitor asked for (its path and query),
 * added to the path's own query: what the Next.js gate and Astro's `guardPage` redirect anonymous visitors to.
 */
export function signInUrl(path: string, from: URL): URL {
  const target = new URL(path, from)
  target.searchParams.set('next', safeRedirectPath(from.pathname + from.search))
  return target
}
