// One request's device-binding (DBSC) state, as the request scope holds it: the bound cookie's verdict and what the response owes.
import type { DeviceBoundRejectReason } from '../core/events.ts'
import type { Session } from '../core/session.ts'
import type { DeviceBinding, SessionData } from '../core/types.ts'
import type { BoundState } from './bound-cookie.ts'

/** Headers and Set-Cookie values DBSC adds to a response (`DeviceBoundServer.afterCommit`). */
export interface DbscResponseExtras {
  readonly headers?: Record<string, string>
  readonly cookies?: string[]
}

/** What a request's device state needs of the DBSC server that judged it. */
export interface DeviceJudge {
  /** Emits `dbsc.rejected` for a refusal decided outside the server (a route guard). */
  report(session: Session<SessionData>, path: string, reason: DeviceBoundRejectReason): void
  /** What to add to the response after commit: the registration offer, the bound cookie's removal. */
  afterCommit(session: Session<SessionData>): DbscResponseExtras | undefined
}

/** The DBSC step's verdict on one request, kept in its request scope. */
export interface DeviceRequestState {
  readonly server: DeviceJudge
  readonly bound: BoundState
  readonly path: string
  /** The session's creation time as loaded: registration is offered only on the response that started a session. */
  readonly loadedCreatedAt: number | null
  /** Send a Set-Cookie removing the bound cookie (a re-issue now waits for the device, or the cookie did not pass). */
  clearBound: boolean
  /** Set by the refresh endpoint, whose request just proved the key: `regenerate()` rotates now with this binding. */
  readonly rotateWith?: DeviceBinding
}
