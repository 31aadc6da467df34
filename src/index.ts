// hallpass: secure server-side sessions. The manager, its types and the error class.
export { createSessions, Sessions, type LoadInput, type SessionInfo } from './core/manager.ts'
export {
  Session,
  type LoginOptions,
  type CommitResult,
  type CommitOptions,
  type ClientInfo,
} from './core/session.ts'
export type { SessionsOptions } from './core/options.ts'
export type { SessionTelemetry } from './core/telemetry.ts'
export type { DataMigration, DataMigrations } from './core/data-version.ts'
export type { CookieOptions } from './core/cookies.ts'
export type { Duration } from './core/duration.ts'
export type {
  SessionEvent,
  RejectReason,
  CsrfRejectReason,
  EventListener,
  EventInput,
} from './core/events.ts'
export type { SecretOption } from './crypto/keyring.ts'
export type {
  Store,
  SessionRecord,
  SessionPatch,
  PatchResult,
  CreateOptions,
  CreateResult,
} from './stores/types.ts'
export type { EvictedSession, RevokeOptions, SessionData } from './stores/types.ts'
export { isTombstone, tombstoneFor } from './stores/tombstone.ts'
export { safeRedirectPath } from './core/redirect.ts'
export { HallpassError, isHallpassError, type HallpassErrorCode } from './errors.ts'
