// Bringing a session cookie up to date without a store write: the attribute code every cookie value carries, and
// what a response re-issues and clears for a cookie issued under an older key, other attributes or a previous name.
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
  const index =
    SAME_SITE.indexOf(cookie.sameSite) * 4 + (cookie.secure ? 2 : 0) + (cookie.partitioned ? 1 : 0)
  return CODES[index] as string
}

/** Whether a cookie with this code was issued Partitioned; undefined without a code, or for a code not known here. */
function issuedPartitioned(code: string | undefined): boolean | undefined {
  const index = code?.length === 1 ? CODES.indexOf(code) : -1
  return index < 0 ? undefined : index % 2 === 1
}

/**
 * Set-Cookie values clearing the cookie a request carried when its re-issue under `cookie` would not replace it:
 * under a previous name (cleared with that name's rules: `__Host-` means Path=/, no Domain, Secure), or in the
 * other partition state (a Partitioned cookie sits beside an unpartitioned one of the same name, and browsers
 * send both, which fails closed as a duplicate). With `cache`, the cookie cache's companion cookie goes too.
 * `code` is the carried cookie's attribute code, undefined when unknown (then the other partition state is
 * cleared blindly, once). Empty when the re-issued cookie simply overwrites the carried one.
 */
function retiredCookies(
  cookie: ResolvedCookieOptions,
  name: string,
  code: string | undefined,
  cache: boolean,
) {
  const renamed = name !== cookie.name
  const partitioned =
    issuedPartitioned(code) ?? (renamed ? cookie.partitioned : !cookie.partitioned)
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
  return cache
    ? [clearedCookie(old), clearedCookie({ ...old, name: `${name}-c` })]
    : [clearedCookie(old)]
}

/** What a response must do about the cookie its request carried. */
export interface Carried {
  /** The value to send under the current name and attributes, same token (sealed mode: any value means re-seal). */
  readonly reissue?: string
  /** Clearing Set-Cookie values for what the re-issue (or the clearing cookie) does not replace; sent first. */
  readonly retire: readonly string[]
}

/** A cookie that is current in every way: nothing to re-issue or clear. */
export const UP_TO_DATE: Carried = { retire: [] }

/** Decides, per request, how the cookie it carried is brought up to the current name and attributes. */
export class CookieReissue {
  /** The attribute code of cookies issued now. */
  readonly code: string

  constructor(
    private readonly cookie: ResolvedCookieOptions,
    private readonly cache: boolean,
  ) {
    this.code = attributesCode(cookie)
  }

  /**
   * A cookie that checked out (MAC or seal) under `name`, issued with attribute `code`. `renewed` is the value to
   * send when its key or attributes are out of date (undefined when both are current).
   */
  checked(name: string, value: string, code: string, renewed: string | undefined): Carried {
    if (name === this.cookie.name && renewed === undefined) return UP_TO_DATE
    return {
      reissue: renewed ?? value,
      retire: retiredCookies(this.cookie, name, code, this.cache),
    }
  }

  /** A cookie that failed verification: a previous name is cleared under that name (ours is cleared anyway). */
  refused(name: string): Carried {
    return name === this.cookie.name
      ? UP_TO_DATE
      : { retire: retiredCookies(this.cookie, name, undefined, this.cache) }
  }
}
