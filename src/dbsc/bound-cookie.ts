// The short-lived bound cookie of a device-bound session: issuing it, clearing it, judging the one a request carries.
import { clearedCookie, readCookie, sessionCookie } from '../core/cookies.ts'
import type { DeviceBoundRejectReason } from '../core/events.ts'
import type { DeviceBinding } from '../core/types.ts'
import type { ResolvedDeviceBound } from './options.ts'
import type { StampCodec } from './tokens.ts'

/** The bound-cookie state of one request. */
export type BoundState =
  'unbound' | 'bound' | Extract<DeviceBoundRejectReason, `bound_cookie_${string}`>

/** Values are stamps (`tokens.ts`) for the binding id whose time is the expiry, so checking one writes nothing. */
export class BoundCookie {
  constructor(
    private readonly config: ResolvedDeviceBound,
    private readonly stamps: StampCodec,
  ) {}

  /** The cookie's name and attributes, as the session instructions JSON lists them. */
  get credential(): { type: 'cookie'; name: string; attributes: string } {
    const { path, domain, secure, sameSite, name } = this.config.cookie
    const attributes = [
      `Path=${path}`,
      ...(domain ? [`Domain=${domain}`] : []),
      ...(secure ? ['Secure'] : []),
      'HttpOnly',
      `SameSite=${sameSite[0]?.toUpperCase()}${sameSite.slice(1)}`,
    ]
    return { type: 'cookie', name, attributes: attributes.join('; ') }
  }

  /** A Set-Cookie value with a fresh bound cookie for `binding`, valid for `boundCookieTtl` from `now`. */
  issue(binding: DeviceBinding, now: number): string {
    const { cookie, boundCookieTtl } = this.config
    return sessionCookie(
      cookie,
      this.stamps.issue('cookie', binding.id, now + boundCookieTtl),
      boundCookieTtl / 1000,
    )
  }

  /** A Set-Cookie value that removes the bound cookie: a DBSC browser then refreshes before its next request. */
  clear(): string {
    return clearedCookie(this.config.cookie)
  }

  /**
   * Whether the request's Cookie header carries a live bound cookie for `binding`. A cookie issued before a
   * pending re-issue (`regenerate()` on a bound session) counts as expired: from then on only the key goes on.
   */
  state(
    binding: DeviceBinding | undefined,
    cookieHeader: string | null | undefined,
    now: number,
  ): BoundState {
    if (!binding) return 'unbound'
    const lookup = readCookie(cookieHeader, this.config.cookie.name)
    if (lookup.problem) return 'bound_cookie_invalid'
    if (lookup.value === undefined) return 'bound_cookie_missing'
    const stamp = this.stamps.read('cookie', binding.id, lookup.value)
    if (!stamp) return 'bound_cookie_invalid'
    const issuedAt = stamp.time - this.config.boundCookieTtl
    if (stamp.time <= now || (binding.pending !== undefined && issuedAt <= binding.pending.at))
      return 'bound_cookie_expired'
    return 'bound'
  }
}
