// hallpass/guards: role and permission checks that read privileges from the server, never from the request.
export { createAccess, requireAuth, requirePermission, requireRole } from './access.ts'
export type {
  Access,
  AccessOptions,
  Guard,
  GuardOutcome,
  Principal,
  PrivilegeLoader,
} from './access.ts'
export { hasPermission, hasRole, hasRolePermission } from './checks.ts'
export type { Privileges, RolePermissions } from './checks.ts'
export { PRIVILEGE_LIMITS } from './permissions.ts'
