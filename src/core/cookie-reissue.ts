// Bringing a session cookie up to date without a store write: the attribute code every cookie value carries, and what
// to clear of a cookie issued under another name or partition state when it is re-issued under the current ones.
import { clearedCookie, type ResolvedCookieOptions } from './cookies.ts'

const SAME_SITE = ['lax', 'strict', 'none'] as const
/** One character per combination of SameSite (3), Secure and Partitioned: the attributes a re-issue can change. */
const CODES = 'ABCDEFGHIJKL'

/**
 * The attribute code a session cookie value carries (under its MAC, or inside the seal). A cookie whose code is not
 * the current one was issued under other attributes and is re-issued, same token, on its next response. Domain and
 * path are not in it: a cookie with another domain or path is a second cookie, not a replacement, so changing them
 * goes with a new name (`cookie.previousNames`).
 */
export function attributesCode(cookie: ResolvedCookieOptions): string {
  return CODES[SAME_SITE.indexOf(cookie.sameSite) * 4 + (cookie.secure ? 2 : 0) + (cookie.partitioned ? 1 : 0)] as string
}

/** Whether a cookie with this code was issued Partitioned; undefined without a code (issued before codes) or for one this version does not know. */
function issuedPartitioned(code: string | undefined): boolean | undefined {
  const index = code?.length === 1 ? CODES.indexOf(code) : -1
  return index < 0 ? undefined : index % 2 === 1
}

/**
 * Set-Cookie values clearing the cookie a request carried when its re-issue under `cookie` would not replace it:
 * under a previous name (cleared with that name's rules: `__Host-` means Path=/, no Domain, Secure), or in the
 * other partition state (a Partitioned cookie sits beside an unpartitioned one of the same name, and browsers
 * send both, which fails closed as a duplicate). With `cache`, the cookie cache's companion cookie goes too.
 * `code` is the carried cookie's attribute code, undefined when it had none (then the other partition state is
 * cleared blindly, once). Empty when the re-issued cookie simply overwrites the carried one.
 */
export function retiredCookies(cookie: ResolvedCookieOptions, name: string, code: string | undefined, cache: boolean): string[] {
  const renamed = name !== cookie.name
  const partitioned = issuedPartitioned(code) ?? (renamed ? cookie.partitioned : !cookie.partitioned)
  if (!renamed && (partitioned === cookie.partitioned || !cookie.secure)) return []
  const lower = name.toLowerCase()
  const host = lower.startsWith('__host-')
  const old: ResolvedCookieOptions = {
    ...cookie,
    name,
    secure: cookie.secure || partitioned || host || lower.startsWith('__secure-'),
    partitioned,
    ...(host && { path: '/', domain: undefined }),
  }
  return cache ? [clearedCookie(old), clearedCookie({ ...old, name: `${name}-c` })] : [clearedCookie(old)]
}
