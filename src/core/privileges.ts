// One rule for roles and permissions, and their limits: login() stores, a load keeps and the guards honour the same.

/** Limits on roles and permissions: what login() accepts, a load keeps, and a guard reads. Anything over them grants nothing. */
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

// Any character but control characters and white space; '*' and ':' are the permission syntax.
const SEGMENT = /^[^\p{Cc}\s*:]+$/u
// Any character but control characters.
const ROLE = /^[^\p{Cc}]+$/u

/** 1 to `maxLength` characters of well-formed Unicode (a lone surrogate would not survive a store's UTF-8). */
function isPrivilegeText(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= PRIVILEGE_LIMITS.maxLength &&
    value.isWellFormed()
  )
}

/** True for a role name: 1 to 128 characters of well-formed Unicode, no control characters. */
export function isValidRole(role: unknown): role is string {
  return isPrivilegeText(role) && ROLE.test(role)
}

/**
 * Splits a permission such as `posts:edit` into segments, or returns undefined when it is malformed or over the
 * limits. A segment is any characters but control characters, white space and `:`; a segment that is exactly `*`
 * is a wildcard, allowed only when `wildcards` is true (a grant, not a required permission).
 */
export function parsePermission(value: unknown, wildcards: boolean): string[] | undefined {
  return segmentsOf(value, wildcards, false)
}

function segmentsOf(
  value: unknown,
  wildcards: boolean,
  starsInside: boolean,
): string[] | undefined {
  if (!isPrivilegeText(value)) return undefined
  const segments = value.split(':')
  if (segments.length > PRIVILEGE_LIMITS.maxSegments) return undefined
  let stars = 0
  for (const segment of segments) {
    if (segment === '*') stars++
    else if (!SEGMENT.test(starsInside ? segment.replaceAll('*', '_') : segment)) return undefined
  }
  if (stars > (wildcards ? PRIVILEGE_LIMITS.maxWildcards : 0)) return undefined
  return segments
}

/**
 * True for a permission `login()` stores: the permission syntax within the limits, wildcards allowed. A `*` inside a
 * segment (`post*`) is kept but is no wildcard: it grants nothing, as the guards ignore a malformed grant.
 */
export function isGrantablePermission(value: unknown): value is string {
  return segmentsOf(value, true, true) !== undefined
}

/** True for a list of at most `maxEntries` entries that each pass `valid`; undefined (no list) passes too. */
export function isPrivilegeList(value: unknown, valid: (entry: unknown) => boolean): boolean {
  if (value === undefined) return true
  return Array.isArray(value) && value.length <= PRIVILEGE_LIMITS.maxEntries && value.every(valid)
}
