// Validates what `login()` is given: the user id and the server-side roles and permissions.
import { HallpassError } from '../errors.ts'

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
export const MAX_PRIVILEGES = 256
export const MAX_PRIVILEGE_LENGTH = 128

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
  if (!Array.isArray(values) || values.length > MAX_PRIVILEGES || !values.every(isPrivilege)) {
    const expected = `at most ${MAX_PRIVILEGES} non-empty strings of up to ${MAX_PRIVILEGE_LENGTH} characters`
    throw new HallpassError(
      'INVALID_ARGUMENT',
      `login() ${kind} must be ${expected} of well-formed Unicode`,
    )
  }
  return { [kind]: [...new Set(values)] }
}

/** One role or permission as every store keeps it exactly: 1 to 128 characters of well-formed Unicode. */
export function isPrivilege(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_PRIVILEGE_LENGTH &&
    value.isWellFormed()
  )
}
