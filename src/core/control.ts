// The front doors' hooks into a Session: what the request pipeline calls and applications never see.
import type { SessionData } from '../stores/types.ts'
import type { CommitResult, Session } from './session.ts'

/** What the request pipeline may do to a Session besides its public API. */
export interface SessionControl {
  /** True when `commit()` would write to the store now (a mutation, or a touch due at load). */
  needsWrite(session: Session<SessionData>): boolean
  /** `commit()` without awaiting anything when it has nothing to write; undefined when it must write. */
  commitWithoutWrite(session: Session<SessionData>): CommitResult | undefined
  /** `commit({ write: false })`: after an error, only the cookie of an id this request issued or ended. */
  commitAfterError(session: Session<SessionData>): CommitResult
  /** Calls `listener` once, synchronously, before the first mutation of this request. */
  beforeFirstChange(session: Session<SessionData>, listener: () => void): void
  /** Device-bound sessions: the bound cookie is missing, so the request goes on as anonymous. */
  setAside(session: Session<SessionData>): void
  /** The request scope the pipeline attached to this session (src/pipeline/scope.ts); opaque to the core. */
  scopeOf(session: Session<SessionData>): object | undefined
  /** Attaches this request's scope to its session (the pipeline does, once per request). */
  attachScope(session: Session<SessionData>, scope: object): void
}

// Set when session.ts loads, which any Session passed to these functions proves has happened.
let granted!: SessionControl

/** @internal Called once, by the Session class, with functions that reach its private members. */
export function grantControl(control: SessionControl): void {
  granted = control
}

/** The pipeline's hooks into a Session (see `SessionControl`). */
export function sessionControl(): SessionControl {
  return granted
}
