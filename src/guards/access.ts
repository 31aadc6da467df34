// Guards: requireAuth, requireRole and requirePermission as framework-neutral predicates, and createAccess for a privilege loader.
import { configError } from '../errors.ts'
import {
  hasPermission,
  hasRole,
  hasRolePermission,
  type Privileges,
  type RolePermissions,
} from './checks.ts'
import { isValidRole, parsePermission, PRIVILEGE_LIMITS } from './permissions.ts'

/** The user a guard decides about. A `Session` is one. */
export interface Principal extends Privileges {
  readonly userId: string | null
}

/** A guard's decision: go on, 401 (nobody signed in), or 403 (signed in, not allowed). */
export type GuardOutcome = 'allow' | 'unauthenticated' | 'forbidden'

/**
 * A framework-neutral predicate. Pass it to your adapter's `guard()` to attach it to a route,
 * or call it yourself. Write your own as `(session) => 'allow' | 'unauthenticated' | 'forbidden'`.
 */
export type Guard = (principal: Principal) => GuardOutcome | Promise<GuardOutcome>

/** Reads a user's current roles and permissions from your user store. Return null for an unknown user. */
export type PrivilegeLoader = (
  userId: string,
) => Privileges | null | undefined | Promise<Privileges | null | undefined>

/** Options for `createAccess`. */
export interface AccessOptions {
  /**
   * Reads roles and permissions from your user store on each request (once per request), so a role
   * change applies on the user's next request. @default the roles and permissions given to `login()`
   */
  load?: PrivilegeLoader
  /** Permissions each role grants, checked by `requirePermission` alongside the user's own. @default {} */
  rolePermissions?: RolePermissions
}

/** Guards and lookups bound to one source of privileges. */
export interface Access {
  /** 401 unless someone is signed in. */
  requireAuth(): Guard
  /** 401 when anonymous, 403 unless the user holds at least one of `roles`. */
  requireRole(...roles: string[]): Guard
  /** 401 when anonymous, 403 unless the user holds every one of `permissions` (directly or through a role). */
  requirePermission(...permissions: string[]): Guard
  /** The user's roles and permissions: from the loader when there is one, else from the session record. */
  privileges(principal: Principal): Privileges | Promise<Privileges>
}

const NOTHING: Privileges = Object.freeze({
  roles: Object.freeze([]),
  permissions: Object.freeze([]),
})

/**
 * Creates guards that read privileges from the server: the session record, or `load(userId)`.
 * Never from the request. Bad arguments throw `CONFIG_INVALID` at startup.
 *
 * @example
 * ```ts
 * import { createAccess } from 'hallpass/guards'
 * const access = createAccess({ load: (userId) => users.privileges(userId), rolePermissions: { editor: ['posts:*'] } })
 * app.post('/posts', guard(access.requirePermission('posts:create')), createPost)
 * ```
 */
export function createAccess(options: AccessOptions = {}): Access {
  const { load, rolePermissions = {} } = options
  if (load !== undefined && typeof load !== 'function')
    configError('createAccess load must be a function (userId) => ({ roles, permissions })')
  checkRolePermissions(rolePermissions)
  const cache = new WeakMap<Principal, Privileges | Promise<Privileges>>()

  const privileges = (principal: Principal): Privileges | Promise<Privileges> => {
    if (principal.userId === null) return NOTHING
    if (!load) return principal
    let found = cache.get(principal)
    if (!found)
      cache.set(principal, (found = Promise.resolve(load(principal.userId)).then(normalize)))
    return found
  }
  const outcomeFor = (
    principal: Principal,
    allowed: (held: Privileges) => boolean,
  ): GuardOutcome | Promise<GuardOutcome> => {
    if (principal.userId === null) return 'unauthenticated'
    const held = privileges(principal)
    const verdict = (p: Privileges): GuardOutcome => (allowed(p) ? 'allow' : 'forbidden')
    return held instanceof Promise ? held.then(verdict) : verdict(held)
  }

  return {
    requireAuth: () => (principal) => (principal.userId === null ? 'unauthenticated' : 'allow'),
    requireRole(...roles) {
      checkList('requireRole', roles, isValidRole, "role names such as 'admin'")
      return (principal) =>
        outcomeFor(principal, (held) => roles.some((role) => hasRole(held, role)))
    },
    requirePermission(...permissions) {
      checkList(
        'requirePermission',
        permissions,
        (p) => parsePermission(p, false) !== undefined,
        "concrete permissions such as 'posts:delete' (wildcards belong in what you grant)",
      )
      return (principal) =>
        outcomeFor(principal, (held) =>
          permissions.every(
            (p) => hasPermission(held, p) || hasRolePermission(held, p, rolePermissions),
          ),
        )
    },
    privileges,
  }
}

/** A loader's answer, held to the same limits as the session record; anything malformed grants nothing. */
function normalize(raw: Privileges | null | undefined): Privileges {
  if (typeof raw !== 'object' || raw === null) return NOTHING
  const roles =
    Array.isArray(raw.roles) && raw.roles.length <= PRIVILEGE_LIMITS.maxEntries
      ? raw.roles.filter(isValidRole)
      : []
  return { roles, permissions: Array.isArray(raw.permissions) ? raw.permissions : [] }
}

function checkList(
  name: string,
  values: readonly unknown[],
  valid: (value: unknown) => boolean,
  expected: string,
): void {
  if (values.length === 0 || values.length > PRIVILEGE_LIMITS.maxEntries || !values.every(valid)) {
    configError(
      `${name}() takes 1 to ${PRIVILEGE_LIMITS.maxEntries} ${expected}, each at most ${PRIVILEGE_LIMITS.maxLength} characters (got ${JSON.stringify(values).slice(0, 200)})`,
    )
  }
}

function checkRolePermissions(map: RolePermissions): void {
  if (typeof map !== 'object' || map === null)
    configError('createAccess rolePermissions must be an object such as { editor: ["posts:*"] }')
  const entries = Object.entries(map)
  if (entries.length > PRIVILEGE_LIMITS.maxEntries)
    configError(`createAccess rolePermissions has more than ${PRIVILEGE_LIMITS.maxEntries} roles`)
  for (const [role, grants] of entries) {
    if (!isValidRole(role))
      configError(
        `createAccess rolePermissions has an invalid role name ${JSON.stringify(role).slice(0, 140)}`,
      )
    checkList(
      `rolePermissions.${role}`,
      grants,
      (p) => parsePermission(p, true) !== undefined,
      "permissions such as 'posts:*'",
    )
  }
}

const defaults = createAccess()

/**
 * A guard that answers 401 unless someone is signed in.
 *
 * @example
 * ```ts
 * import { requireAuth } from 'hallpass/guards'
 * import { guard } from 'hallpass/express'
 * app.get('/account', guard(requireAuth()), showAccount)
 * ```
 */
export function requireAuth(): Guard {
  return defaults.requireAuth()
}

/**
 * A guard that answers 401 when anonymous and 403 unless the user holds at least one of `roles`,
 * read from the session record (`login(userId, { roles })`). Use `createAccess({ load })` to read them from your user store.
 *
 * @example
 * ```ts
 * import { requireRole } from 'hallpass/guards'
 * import { guard } from 'hallpass/hono'
 * app.get('/admin', guard(requireRole('admin')), (c) => c.text('admin'))
 * ```
 */
export function requireRole(...roles: string[]): Guard {
  return defaults.requireRole(...roles)
}

/**
 * A guard that answers 401 when anonymous and 403 unless the user holds every one of `permissions`,
 * from the session record, where granted wildcards count (`posts:*` covers `posts:delete`).
 *
 * @example
 * ```ts
 * import { requirePermission } from 'hallpass/guards'
 * import { guard } from 'hallpass/fastify'
 * app.delete('/posts/:id', { onRequest: guard(requirePermission('posts:delete')) }, deletePost)
 * ```
 */
export function requirePermission(...permissions: string[]): Guard {
  return defaults.requirePermission(...permissions)
}
