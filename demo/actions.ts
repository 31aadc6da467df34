// The app's operations, shared by the JSON API and the no-JavaScript forms: sign-in, password change, devices, admin.
import type { Session } from 'hallpass'
import type { Role, User } from './db.ts'
import { iso, type AppDeps } from './http.ts'

export type SignInResult =
  | { readonly ok: true; readonly user: User }
  | { readonly ok: false; readonly reason: 'invalid' }
  | {
      readonly ok: false
      readonly reason: 'throttled' | 'unavailable'
      readonly retryAfter: number
    }

/**
 * The password is checked inside the throttle's `attempt`, which counts the guess before it runs, so
 * parallel requests cannot check more passwords than the lockout allows. A locked account still costs
 * one (dummy) hash, so unknown email, wrong password and locked account take the same time and get one
 * answer: `invalid`. Only a throttled IP, or a throttle store outage, differs.
 */
export async function signIn(
  deps: AppDeps,
  session: Session,
  input: { email: string; password: string; rememberMe: boolean },
  ip: string | undefined,
): Promise<SignInResult> {
  const result = await deps.throttle.attempt({ account: input.email, ip }, async () => {
    const row = deps.users.findForLogin(input.email)
    return (await deps.passwords.verify(row?.passwordHash, input.password)) ? row : null
  })
  if (!result.ok) {
    if (result.reason === 'locked') await deps.passwords.verify(undefined, input.password) // same work, same answer
    if (result.reason === 'invalid' || result.reason === 'locked')
      return { ok: false, reason: 'invalid' }
    return { ok: false, reason: result.reason, retryAfter: result.retryAfter }
  }
  const row = result.value
  await session.login(row.id, { rememberMe: input.rememberMe, roles: [row.role] })
  return { ok: true, user: { id: row.id, email: row.email, name: row.name, role: row.role } }
}

export type PasswordResult =
  | { readonly ok: true; readonly revoked: number }
  | { readonly ok: false; readonly reason: 'wrong' }
  | {
      readonly ok: false
      readonly reason: 'throttled' | 'unavailable'
      readonly retryAfter: number
    }

/**
 * Checks the current password (throttled like a login, so a stolen session cannot guess it), stores the
 * new hash, gives this session a new id and revokes every other session of the user.
 */
export async function changePassword(
  deps: AppDeps,
  session: Session,
  user: User,
  input: { currentPassword: string; newPassword: string },
  ip: string | undefined,
): Promise<PasswordResult> {
  const result = await deps.throttle.attempt({ account: user.email, ip }, () =>
    deps.passwords.verify(deps.users.passwordHash(user.id), input.currentPassword),
  )
  if (!result.ok) {
    if (result.reason === 'invalid') return { ok: false, reason: 'wrong' }
    return {
      ok: false,
      reason: result.reason === 'unavailable' ? 'unavailable' : 'throttled',
      retryAfter: result.retryAfter,
    }
  }
  deps.users.setPasswordHash(user.id, await deps.passwords.hash(input.newPassword))
  await session.regenerate()
  const revoked = await deps.sessions.revokeUserSessions(user.id, { except: session.id })
  return { ok: true, revoked }
}

/** One row of the device list. */
export interface Device {
  readonly id: string
  readonly current: boolean
  readonly createdAt: string | null
  readonly lastSeenAt: string | null
  readonly expiresAt: string | null
  readonly idleExpiresAt: string | null
  readonly persistent: boolean
  readonly userAgent: string | null
  readonly device: string
  readonly ip: string | null
  readonly deviceBound: boolean
}

export async function listDevices(deps: AppDeps, session: Session, user: User): Promise<Device[]> {
  const list = await deps.sessions.listSessions(user.id)
  return list.map((s) => ({
    id: s.id,
    current: s.id === session.id,
    createdAt: iso(s.createdAt),
    lastSeenAt: iso(s.id === session.id ? (session.lastSeenAt ?? s.lastSeenAt) : s.lastSeenAt),
    expiresAt: iso(s.expiresAt),
    idleExpiresAt: iso(
      s.id === session.id ? (session.idleExpiresAt ?? s.idleExpiresAt) : s.idleExpiresAt,
    ),
    persistent: s.persistent,
    userAgent: s.userAgent,
    device: s.device,
    ip: s.ip,
    deviceBound: s.deviceBound,
  }))
}

/** Revokes one of the user's devices. Revoking the current one is a logout. False when the id is unknown or another user's. */
export async function revokeDevice(
  deps: AppDeps,
  session: Session,
  user: User,
  id: string,
): Promise<boolean> {
  if (id === session.id) {
    await session.logout()
    return true
  }
  return deps.sessions.revokeSession(user.id, id)
}

/** "Log out everywhere else": every session of the user but this one. */
export function revokeOtherDevices(deps: AppDeps, session: Session, user: User): Promise<number> {
  return deps.sessions.revokeUserSessions(user.id, { except: session.id })
}

/** The idle timeout in minutes: the admin's setting, or SESSION_IDLE_TIMEOUT until one is saved. */
export function idleTimeoutMinutes(deps: AppDeps): number {
  return (
    deps.settings.idleTimeoutMinutes() ?? Math.round((deps.config.idleTimeout / 60) * 100) / 100
  )
}

export interface AdminUser extends User {
  readonly sessionCount: number
}

export async function listUsers(deps: AppDeps): Promise<AdminUser[]> {
  const users = deps.users.list()
  const counts = await Promise.all(users.map((u) => deps.sessions.listSessions(u.id)))
  return users.map((u, i) => ({ ...u, sessionCount: counts[i]?.length ?? 0 }))
}

/** Changes a role. The user's next request sees it (the loader re-reads the database and re-issues the session). */
export function setRole(deps: AppDeps, id: string, role: Role): User | 'not_found' | 'last_admin' {
  return deps.users.setRole(id, role) ?? 'not_found'
}

/** Revokes every session of a user; for the admin's own account, every session but the current one. */
export async function revokeUserSessions(
  deps: AppDeps,
  session: Session,
  id: string,
): Promise<number | 'not_found'> {
  if (!deps.users.find(id)) return 'not_found'
  return deps.sessions.revokeUserSessions(id, id === session.userId ? { except: session.id } : {})
}
