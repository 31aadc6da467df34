// Compile-only: hallpass/opentelemetry's options, and its telemetry as createSessions({ telemetry }).
import { trace } from '@opentelemetry/api'
import { expectTypeOf } from 'vitest'
import { createSessions, type SessionTelemetry } from 'hallpass'
import { openTelemetry, type OpenTelemetryOptions } from 'hallpass/opentelemetry'

expectTypeOf(openTelemetry()).toEqualTypeOf<SessionTelemetry>()
expectTypeOf<OpenTelemetryOptions['recordSessionIds']>().toEqualTypeOf<boolean | undefined>()

export const sessions = createSessions({
  secret: 'x'.repeat(40),
  telemetry: openTelemetry({ tracerProvider: trace.getTracerProvider(), recordSessionIds: true }),
})

// @ts-expect-error recordSessionIds is true or false
openTelemetry({ recordSessionIds: 'yes' })
// @ts-expect-error telemetry is what openTelemetry() returns, not its options
createSessions({ secret: 'x'.repeat(40), telemetry: { recordSessionIds: true } })
