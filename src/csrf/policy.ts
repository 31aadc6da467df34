// The CSRF decision from request metadata alone: safe methods, exact exemptions, Fetch Metadata and Origin.
import type { CsrfRejectReason } from '../core/events.ts'

/** Methods that never change state and are never checked. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** True for GET, HEAD and OPTIONS, which never change state (so CSRF never checks them). */
export function isSafeMethod(method: string | undefined): boolean {
  return SAFE_METHODS.has(method ?? 'GET')
}

export interface PolicyConfig {
  /** Exact allowed origins; empty means "the request's own origin". */
  readonly origins: ReadonlySet<string>
  readonly allowSameSite: boolean
  readonly requireToken: boolean
  readonly exempt: ReadonlySet<string>
}

export interface RequestMeta {
  readonly method: string
  /** The raw request path, without the query string. */
  readonly path: string
  /** This server's own origin as the request addressed it (scheme://host[:port]). */
  readonly selfOrigin: string
  readonly secFetchSite: string | null | undefined
  readonly origin: string | null | undefined
}

/** What the metadata says: pass, reject, or "a valid token is required to pass". */
export type PolicyVerdict =
  | { readonly kind: 'pass' }
  | { readonly kind: 'reject'; readonly reason: CsrfRejectReason }
  | { readonly kind: 'needs_token' }

const PASS: PolicyVerdict = { kind: 'pass' }
const NEEDS_TOKEN: PolicyVerdict = { kind: 'needs_token' }

/**
 * Decides from the method, the path and the Sec-Fetch-Site and Origin headers. It never looks at
 * Content-Type or at method-override headers or fields.
 */
export function policyVerdict(meta: RequestMeta, config: PolicyConfig): PolicyVerdict {
  if (isSafeMethod(meta.method)) return PASS
  if (config.exempt.has(meta.path)) return PASS
  const site = meta.secFetchSite
  if (site !== null && site !== undefined) {
    if (site === 'cross-site') return { kind: 'reject', reason: 'cross_site' }
    if (site === 'same-site' && !config.allowSameSite)
      return { kind: 'reject', reason: 'same_site' }
    if (site !== 'same-origin' && site !== 'none' && site !== 'same-site')
      return { kind: 'reject', reason: 'fetch_site_unknown' }
  }
  const origin = meta.origin
  if (origin !== null && origin !== undefined) {
    if (origin === 'null') return { kind: 'reject', reason: 'origin_null' }
    const allowed =
      config.origins.size > 0 ? config.origins.has(origin) : origin === meta.selfOrigin
    if (!allowed) return { kind: 'reject', reason: 'origin_mismatch' }
  }
  const hasMetadata =
    (site !== null && site !== undefined) || (origin !== null && origin !== undefined)
  return config.requireToken || !hasMetadata ? NEEDS_TOKEN : PASS
}
