// Role and permission checks for use inside handlers: hasRole, hasPermission, hasRolePermission.
import { isValidRole, PermissionSet, PRIVILEGE_LIMITS } from './permissions.ts'

/** What a user holds. A `Session` is one (its roles and permissions come from the server-side record). */
export interface Privileges {
  readonly roles: readonly string[]
  readonly permissions: readonly string[]
}

/** Which permissions each role grants, e.g. `{ editor: ['posts:*'], admin: ['*'] }`. */
export type RolePermissions = Readonly<Record<string, readonly string[]>>

const compiled = new WeakMap<object, PermissionSet>()
const NONE = new PermissionSet([])

/** The grants compiled once per list (the list of one session record, or of one role). */
export function permissionSet(grants: readonly string[]): PermissionSet {
  if (!Array.isArray(grants) || grants.length === 0) return NONE
  let set = compiled.get(grants)
  if (!set) compiled.set(grants, (set = new PermissionSet(grants)))
  return set
}

/** The roles, or none when the list is malformed or over the limit (fail closed). */
function rolesOf(subject: Privileges): readonly string[] {
  const roles = subject.roles
  return Array.isArray(roles) && roles.length <= PRIVILEGE_LIMITS.maxEntries ? roles : []
}

/**
 * True when the user holds `role` (exact, case-sensitive match).
 *
 * @example
 * ```ts
 * import { hasRole } from 'hallpass/guards'
 * if (hasRole(req.session, 'admin')) showAdminLink()
 * ```
 */
export function hasRole(subject: Privileges, role: string): boolean {
  return isValidRole(role) && rolesOf(subject).includes(role)
}

/**
 * True when one of the user's own permissions covers `permission`, wildcards included
 * (`posts:*` covers `posts:delete`). A malformed `permission` is simply false, never an error.
 *
 * @example
 * ```ts
 * import { hasPermission } from 'hallpass/guards'
 * if (!hasPermission(session, `docs:${docId}:edit`)) return forbidden()
 * ```
 */
export function hasPermission(subject: Privileges, permission: string): boolean {
  return permissionSet(subject.permissions).has(permission)
}

/**
 * True when one of the user's roles grants `permission` through `rolePermissions`, wildcards included.
 *
 * @example
 * ```ts
 * import { hasRolePermission } from 'hallpass/guards'
 * const grants = { editor: ['posts:*'], admin: ['*'] }
 * if (hasRolePermission(session, 'posts:publish', grants)) publish()
 * ```
 */
export function hasRolePermission(
  subject: Privileges,
  permission: string,
  rolePermissions: RolePermissions,
): boolean {
  for (const role of rolesOf(subject)) {
    const grants = Object.hasOwn(rolePermissions, role) ? rolePermissions[role] : undefined
    if (grants && permissionSet(grants).has(permission)) return true
  }
  return false
}
