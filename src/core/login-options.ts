// Validates what `login()` is given: the user id and the server-side roles and permissions.
import { HallpassError } from '../errors.ts'
import {
  isGrantablePermission,
  isPrivilegeList,
  isValidRole,
  PRIVILEGE_LIMITS,
} from './privileges.ts'

/** Options for `session.login()`. */
export interface LoginOptions {
  /** Persistent cookie and the longer `rememberMeTimeout`. @default false */
  rememberMe?: boolean
  /** Roles kept server-side in the session record. */
  roles?: readonly string[]
  /** Permissions kept server-side in the session record. */
  permissions?: readonly string[]
}

export const MAX_USER_ID_LENGTH = 256

/**
 * Throws INVALID_ARGUMENT unless `userId` is a string of 1 to 256 characters of well-formed Unicode: the ids
 * `login()` accepts, and so the only ones `listSessions` and the revoke calls can be asked about. Stores keep
 * UTF-8, where a lone surrogate becomes U+FFFD: 'u\uD800' and 'u\uDC00' would come back as one user.
 */
export function checkUserId(userId: unknown, call = 'login()'): asserts userId is string {
  if (!isUserId(userId)) {
    const expected = `a userId string of 1 to ${MAX_USER_ID_LENGTH} characters of well-formed Unicode`
    throw new HallpassError('INVALID_ARGUMENT', `${call} needs ${expected}`)
  }
}

/** A user id as every store keeps it exactly (see `checkUserId`). */
export function isUserId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_USER_ID_LENGTH &&
    value.isWellFormed()
  )
}

/** The roles and permissions to store, de-duplicated; throws INVALID_ARGUMENT past the limits. */
export function privilegesOf(options: LoginOptions): { roles?: string[]; permissions?: string[] } {
  return {
    ...privileges('roles', options.roles),
    ...privileges('permissions', options.permissions),
  }
}

function privileges(
  kind: 'roles' | 'permissions',
  values: readonly string[] | undefined,
): Partial<Record<typeof kind, string[]>> {
  if (values === undefined) return {}
  if (!isPrivilegeList(values, kind === 'roles' ? isValidRole : isGrantablePermission)) {
    const { maxEntries, maxLength, maxSegments, maxWildcards } = PRIVILEGE_LIMITS
    const rule =
      kind === 'roles'
        ? 'role names'
        : `permissions of at most ${maxSegments} ':'-separated segments without white space ('*' only as a whole segment, at most ${maxWildcards})`
    throw new HallpassError(
      'INVALID_ARGUMENT',
      `login() ${kind} must be at most ${maxEntries} ${rule}, each 1 to ${maxLength} characters of well-formed Unicode without control characters`,
    )
  }
  return { [kind]: [...new Set(values)] }
}
