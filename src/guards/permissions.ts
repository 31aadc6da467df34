// Wildcard matching of permissions; the syntax and the limits are core/privileges.ts (login() uses the same).
import { parsePermission, PRIVILEGE_LIMITS } from '../core/privileges.ts'

export { isValidRole, parsePermission, PRIVILEGE_LIMITS } from '../core/privileges.ts'

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
