// hallpass/audit: typed audit events and a ready JSON-lines sink for `onEvent`.
import type { EventListener, SessionEvent } from '../core/events.ts'

export type { SessionEvent, EventListener, RejectReason, CsrfRejectReason } from '../core/events.ts'

/** Anything with a `write(string)` method: `process.stdout`, a file stream, a log shipper. */
export interface LineWriter {
  write(line: string): unknown
}

/**
 * An `onEvent` listener that writes one JSON object per line. Events carry public session ids and
 * account hashes, never tokens or passwords.
 *
 * @default writer process.stdout
 * @example
 * ```ts
 * import { jsonLinesSink } from 'hallpass/audit'
 * import { createWriteStream } from 'node:fs'
 * const sessions = createSessions({ secret, onEvent: jsonLinesSink(createWriteStream('audit.log', { flags: 'a' })) })
 * ```
 */
export function jsonLinesSink(
  writer: LineWriter = process.stdout,
  options: { filter?: (event: SessionEvent) => boolean } = {},
): EventListener {
  return (event) => {
    if (options.filter && !options.filter(event)) return
    writer.write(`${JSON.stringify({ ...event, time: new Date(event.at).toISOString() })}\n`)
  }
}

/** Calls every listener with each event (for example a JSON-lines sink plus metrics). */
export function fanOut(...listeners: EventListener[]): EventListener {
  return (event) => {
    for (const listener of listeners) {
      try {
        listener(event)
      } catch {
        // One failing sink must not starve the others.
      }
    }
  }
}
