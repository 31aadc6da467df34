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

/** Throws INVALID_ARGUMENT unless `userId` is a string of 1 to 256 characters. */
export function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
    throw new HallpassError('INVALID_ARGUMENT', `login() needs a userId string of 1 to ${MAX_USER_ID_LENGTH} characters`)
  }
}

/** The roles and permissions to store, de-duplicated; throws INVALID_ARGUMENT past the limits. */
export function privilegesOf(options: LoginOptions): { roles?: string[]; permissions?: string[] } {
  return { ...privileges('roles', options.roles), ...privileges('permissions', options.permissions) }
}

function privileges(kind: 'roles' | 'permissions', values: readonly string[] | undefined): Partial<Record<typeof kind, string[]>> {
  if (values === undefined) return {}
  if (!Array.isArray(values) || values.length > MAX_PRIVILEGES || values.some((v) => typeof v !== 'string' || v.length === 0 || v.length > MAX_PRIVILEGE_LENGTH)) {
    throw new HallpassError('INVALID_ARGUMENT', `login() ${kind} must be at most ${MAX_PRIVILEGES} non-empty strings of up to ${MAX_PRIVILEGE_LENGTH} characters`)
  }
  return { [kind]: [...new Set(values)] }
}
