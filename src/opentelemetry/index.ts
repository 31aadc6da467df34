// hallpass/opentelemetry: spans and metrics for sessions through @opentelemetry/api, the only module that imports it.
import {
  metrics,
  trace,
  type Attributes,
  type MeterProvider,
  type TracerProvider,
} from '@opentelemetry/api'
import type { SessionEvent } from '../core/events.ts'
import type { SessionTelemetry } from '../core/telemetry.ts'
import { checkOptionKeys, configError } from '../errors.ts'
import { Instruments } from './metrics.ts'
import { SCOPE_NAME, SCOPE_VERSION, SPAN } from './names.ts'
import { INTERNAL, inSpan, sessionAttributes } from './spans.ts'
import { observedStore } from './store.ts'

export type { SessionTelemetry } from '../core/telemetry.ts'
export { ATTR, METRIC, SPAN, STORE_OPERATIONS, type StoreOperation } from './names.ts'

/** Options for `openTelemetry()`. */
export interface OpenTelemetryOptions {
  /** Where spans go. @default the global tracer provider (the one your SDK registered, even if it registers later) */
  tracerProvider?: TracerProvider
  /** Where metrics go. @default the global meter provider, looked up at the first event or store call */
  meterProvider?: MeterProvider
  /**
   * Adds the public session id (`hallpass.session.id`, a hash of the token, never the token) to the load and commit
   * spans, to find one session's requests. Never on store spans or metrics. @default false
   */
  recordSessionIds?: boolean
}

/** Each audit event as a span event on the span active when it happened, with the metric's attributes only. */
function addSpanEvent(event: SessionEvent, attributes: Attributes): void {
  const span = trace.getActiveSpan()
  if (span?.isRecording()) span.addEvent(`hallpass.${event.type}`, attributes)
}

const KNOWN_OPTIONS = ['tracerProvider', 'meterProvider', 'recordSessionIds']

function checkOptions(options: OpenTelemetryOptions): void {
  if (typeof options !== 'object' || options === null)
    configError('openTelemetry() takes an options object (or nothing)')
  checkOptionKeys('openTelemetry()', options, KNOWN_OPTIONS)
  const { tracerProvider, meterProvider, recordSessionIds } = options
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function')
    configError('openTelemetry({ tracerProvider }) must be a TracerProvider (it has getTracer())')
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function')
    configError('openTelemetry({ meterProvider }) must be a MeterProvider (it has getMeter())')
  if (recordSessionIds !== undefined && typeof recordSessionIds !== 'boolean')
    configError('openTelemetry({ recordSessionIds }) must be true or false')
}

/**
 * Telemetry for `createSessions({ telemetry })`: a span for each request's session load and commit and for every
 * store call, and counters fed by the audit events, through `@opentelemetry/api` (an optional peer dependency:
 * only this subpath imports it). Tokens, cookie values, user ids, IPs and user agents are never recorded; metric
 * attributes come from short fixed lists. Register your SDK as usual; hallpass only uses the API. docs/telemetry.md
 * lists every span, metric and attribute.
 *
 * @default tracerProvider and meterProvider: the global ones; recordSessionIds: false
 * @example
 * ```ts
 * import { createSessions } from 'hallpass'
 * import { openTelemetry } from 'hallpass/opentelemetry'
 * const sessions = createSessions({ secret: process.env.SESSION_SECRET!, telemetry: openTelemetry() })
 * ```
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): SessionTelemetry {
  checkOptions(options)
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    SCOPE_NAME,
    SCOPE_VERSION,
  )
  const instruments = new Instruments(() =>
    (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE_NAME, SCOPE_VERSION),
  )
  const withIds = options.recordSessionIds === true
  return {
    wrapStore: (store) => observedStore(store, tracer, instruments),
    onEvent: (event) => addSpanEvent(event, instruments.count(event)),
    load: (run) =>
      inSpan(tracer, SPAN.load, INTERNAL, run, (span, session) => {
        if (span.isRecording()) span.setAttributes(sessionAttributes(session, withIds, true))
      }),
    commit: (session, run) =>
      inSpan(tracer, SPAN.commit, INTERNAL, run, (span) => {
        if (span.isRecording()) span.setAttributes(sessionAttributes(session, withIds, false))
      }),
  }
}
