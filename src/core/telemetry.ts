// The hooks a telemetry layer (hallpass/opentelemetry) plugs into the manager and the request pipeline; off unless given.
import { configError } from '../errors.ts'
import type { SessionData, Store } from '../stores/types.ts'
import type { EventListener } from './events.ts'
import type { CommitResult, Session } from './session.ts'

/**
 * What `createSessions({ telemetry })` takes. `openTelemetry()` from `hallpass/opentelemetry` builds one; nothing
 * else in hallpass imports an OpenTelemetry package. Without it there is no store wrapper, no event listener and
 * no span: the request pipeline pays one null check per step (docs/telemetry.md).
 */
export interface SessionTelemetry {
  /** Called once per store by `createSessions()`: the store the manager uses instead (each call traced and timed). */
  wrapStore(store: Store): Store
  /** Receives every event before `onEvent` does (the counters). A throw is ignored. */
  readonly onEvent: EventListener
  /** Runs a front door's `sessions.load()` as the request's load span. */
  load<S extends Session<SessionData>>(run: () => Promise<S>): Promise<S>
  /** Runs a front door's `session.commit()` as the request's commit span (a commit with nothing to write is not run here). */
  commit(session: Session<SessionData>, run: () => Promise<CommitResult>): Promise<CommitResult>
}

/** Checks `createSessions({ telemetry })`: undefined, or an object with the four members above. */
export function resolveTelemetry(value: unknown): SessionTelemetry | undefined {
  if (value === undefined) return undefined
  const candidate = value as Partial<Record<keyof SessionTelemetry, unknown>> | null
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.wrapStore !== 'function' ||
    typeof candidate.onEvent !== 'function' ||
    typeof candidate.load !== 'function' ||
    typeof candidate.commit !== 'function'
  )
    configError(
      "telemetry must be the object openTelemetry() returns: import { openTelemetry } from 'hallpass/opentelemetry' and pass telemetry: openTelemetry()",
    )
  return value as SessionTelemetry
}

/** The event listener when telemetry is on: telemetry first (never throws into the app's listener), then the app's. */
export function withTelemetry(
  telemetry: SessionTelemetry | undefined,
  listener: EventListener | undefined,
): EventListener | undefined {
  if (!telemetry) return listener
  return (event) => {
    try {
      telemetry.onEvent(event)
    } catch {
      // Telemetry must never cost the app its audit log.
    }
    listener?.(event)
  }
}
