// Role and permission strings: validation, wildcard matching, and the limits that keep both cheap.

/** Limits on what a guard will read or accept. Anything over them grants nothing. */
export const PRIVILEGE_LIMITS = {
  /** Most roles, or permissions, one user may hold. */
  maxEntries: 256,
  /** Longest role or permission, in characters. */
  maxLength: 128,
  /** Most `:`-separated segments in a permission. */
  maxSegments: 8,
  /** Most `*` segments in one granted permission. */
  maxWildcards: 3,
} as const

// Printable ASCII without space, '*' and ':' (those two are syntax).
const SEGMENT = /^[\x21-\x29\x2b-\x39\x3b-\x7e]+$/
// Any character but control characters.
const ROLE = /^[^\p{Cc}]+$/u

/** True for a role name hallpass will compare: 1 to 128 characters, no control characters. */
export function isValidRole(role: unknown): role is string {
  return (
    typeof role === 'string' &&
    role.length > 0 &&
    role.length <= PRIVILEGE_LIMITS.maxLength &&
    ROLE.test(role)
  )
}

/**
 * Splits a permission such as `posts:edit` into segments, or returns undefined when it is malformed
 * or over the limits. `*` is allowed only as a whole segment, and only when `wildcards` is true.
 */
export function parsePermission(value: unknown, wildcards: boolean): string[] | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > PRIVILEGE_LIMITS.maxLength)
    return undefined
  const segments = value.split(':')
  if (segments.length > PRIVILEGE_LIMITS.maxSegments) return undefined
  let stars = 0
  for (const segment of segments) {
    if (segment === '*') stars++
    else if (!SEGMENT.test(segment)) return undefined
  }
  if (stars > (wildcards ? PRIVILEGE_LIMITS.maxWildcards : 0)) return undefined
  return segments
}

/**
 * The permissions one user holds, compiled once for fast checks. A `*` segment matches any one
 * segment; a trailing `*` matches one or more (`posts:*` grants `posts:edit` and `posts:edit:own`,
 * not `posts`); a lone `*` grants everything. Malformed grants are ignored, and a list longer than
 * the limit grants nothing at all (fail closed).
 */
export class PermissionSet {
  private readonly exact = new Set<string>()
  private readonly patterns: string[][] = []

  constructor(grants: readonly unknown[]) {
    if (!Array.isArray(grants) || grants.length > PRIVILEGE_LIMITS.maxEntries) return
    for (const grant of grants) {
      const segments = parsePermission(grant, true)
      if (!segments) continue
      if (segments.includes('*')) this.patterns.push(segments)
      else this.exact.add(grant as string)
    }
  }

  /** True when a grant covers `required`, a concrete permission. A malformed or wildcard `required` is false. */
  has(required: string): boolean {
    if (this.exact.has(required)) return parsePermission(required, false) !== undefined
    if (this.patterns.length === 0) return false
    const wanted = parsePermission(required, false)
    return wanted !== undefined && this.patterns.some((pattern) => covers(pattern, wanted))
  }
}

function covers(pattern: readonly string[], wanted: readonly string[]): boolean {
  const last = pattern.length - 1
  for (let i = 0; i <= last; i++) {
    if (i === last && pattern[i] === '*') return wanted.length > last
    if (i >= wanted.length) return false
    if (pattern[i] !== '*' && pattern[i] !== wanted[i]) return false
  }
  return wanted.length === pattern.length
}
