// One request's state, created by the pipeline and reachable from its Session: the CSRF state, the device binding, the failure.
import { sessionControl } from '../core/control.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import type { DeviceRequestState } from '../dbsc/request-state.ts'

/** What the scope needs of the request's CSRF state (`CsrfRequestState` from `hallpass/csrf` is one). */
export interface ScopeCsrf {
  /** A masked token for this request's session. */
  token(session: Session<SessionData>): string
  /** Set-Cookie values the state owes the response (a new pre-session cookie). */
  cookies(): string[]
}

/** A complete response a front door sends in place of the app's: status, headers, Set-Cookie values, body. */
export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly cookies: readonly string[]
  readonly body: string
}

/**
 * One request, from load to reply. The pipeline creates it right after loading the session and attaches it to
 * that session (`SessionControl.attachScope`), so the helpers that only get a session (`csrfToken(session)`,
 * `requireBoundDevice()`, the DBSC server's `regenerate()` hook) find this request's state through
 * `scopeOf(session)`; nothing is kept in a table keyed by the session.
 */
export class RequestScope<D extends SessionData = SessionData> {
  /** The CSRF state, once the CSRF step ran (undefined with `csrf: false`). */
  csrf: ScopeCsrf | undefined = undefined
  /** The device-binding verdict, once the DBSC step ran (undefined without `deviceBound`). */
  device: DeviceRequestState | undefined = undefined
  /**
   * The reply of a hallpass error the app let through (503, 409), recorded by error hooks such as Express's
   * `sessionErrors()`: the commit then writes nothing and sends only the cookie of an id already issued or ended.
   */
  failure: Reply | undefined = undefined

  constructor(readonly session: Session<D>) {
    sessionControl().attachScope(session, this)
  }
}

/** The scope of the request that loaded `session`, or undefined for a session no front door loaded. */
export function scopeOf(session: Session<SessionData>): RequestScope | undefined {
  const scope = sessionControl().scopeOf(session)
  return scope instanceof RequestScope ? scope : undefined
}

/** `scopeOf(session)`, or a new scope for a session loaded without a front door (`loadSession()` then `applySession()`). */
export function scopeFor<D extends SessionData>(session: Session<D>): RequestScope<SessionData> {
  return scopeOf(session) ?? new RequestScope<SessionData>(session)
}
