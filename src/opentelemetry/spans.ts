// Session work in a span: a child of the active context, active while it runs; a failure sets the status, never a message.
import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { HallpassError } from '../errors.ts'
import { ATTR } from './names.ts'

/** Options of hallpass's spans: internal work of the service, under whatever span is active (the HTTP server's). */
export const INTERNAL: SpanOptions = { kind: SpanKind.INTERNAL }

/**
 * A short, bounded name for a failure (the `error.type` attribute): a HallpassError's code, else the error's class
 * name when it looks like one (a driver's `ConnectionTimeoutError`), else `_OTHER`. Messages and stacks are never
 * recorded: a driver's message may carry a key name or a host.
 */
export function errorType(err: unknown): string {
  if (err instanceof HallpassError) return err.code
  const name = err instanceof Error ? err.name : undefined
  return name !== undefined && /^[A-Za-z_$][\w$.]{0,63}$/.test(name) ? name : '_OTHER'
}

/**
 * Runs `work` in a new span, active while it runs (so a store call or a Redis client's own span nests under it),
 * and ends it. `ok` sees the result (attributes only while `span.isRecording()`: an unsampled span keeps nothing);
 * `failed` sees the `error.type` of a throw, which is re-thrown unchanged.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  work: () => Promise<T>,
  ok?: (span: Span, result: T) => void,
  failed?: (type: string) => void,
): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      const result = await work()
      ok?.(span, result)
      return result
    } catch (err) {
      const type = errorType(err)
      span.setStatus({ code: SpanStatusCode.ERROR, message: type })
      span.setAttribute(ATTR.errorType, type)
      failed?.(type)
      throw err
    } finally {
      span.end()
    }
  })
}

/** The request spans' attributes: signed in or not, new or not, and the public id only when asked for. */
export function sessionAttributes(
  session: Session<SessionData>,
  withId: boolean,
  atLoad: boolean,
): Attributes {
  const attributes: Attributes = { [ATTR.authenticated]: session.isAuthenticated }
  if (atLoad) attributes[ATTR.isNew] = session.isNew
  const { id } = session
  if (withId && id !== null) attributes[ATTR.sessionId] = id
  return attributes
}
