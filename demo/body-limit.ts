// The request body limit: a 413 for an oversized body, sent once the rest of it is read and dropped (up to a bound).
import type { Context, MiddlewareHandler } from 'hono'

/** How big a body may be, and how much of an oversized one is read (and dropped) so the client reads the 413. */
export interface BodyLimitOptions {
  /** Largest body accepted, in bytes. */
  readonly maxBytes: number
  /**
   * Most bytes of an oversized body read and dropped before the 413. A client that sends no more than this
   * reads the 413 on a connection that stays usable; a larger body gets the 413 at once and the connection closed.
   */
  readonly drainBytes: number
  /** Most milliseconds spent reading an oversized body; then the 413 goes out and the connection is closed. */
  readonly drainMs: number
  /** The 413 response. */
  readonly tooLarge: (c: Context) => Response
}

/**
 * Limits request bodies. A body within the limit reaches the routes (a chunked one buffered, at most `maxBytes`).
 * An oversized one is answered 413 only after the rest of it has been read and dropped: a server that answers
 * and closes while the body is still arriving resets the connection, and the client sees EPIPE or ECONNRESET
 * instead of the 413 (@hono/node-server drains for only 500 ms after the answer). Past `drainBytes` or `drainMs`
 * it stops reading and answers with `Connection: close`.
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  return async (c, next) => {
    const body = c.req.raw.body
    if (body === null) return next()
    const declared = declaredLength(c)
    if (declared !== undefined && declared <= options.maxBytes) return next() // node:http holds the body to it
    if (declared !== undefined && declared > options.drainBytes) return closing(options.tooLarge(c))
    const reader = body.getReader()
    let read = 0
    if (declared === undefined) {
      const chunks: Uint8Array[] = []
      for (;;) {
        const { done, value } = await reader.read()
        if (done) {
          c.req.raw = new Request(c.req.raw, { body: joined(chunks, read) })
          return next()
        }
        read += value.byteLength
        if (read > options.maxBytes) break
        chunks.push(value)
      }
    }
    const drained = await discard(reader, options.drainBytes - read, options.drainMs)
    return drained ? options.tooLarge(c) : closing(options.tooLarge(c))
  }
}

/** Content-Length when it frames the body (no Transfer-Encoding); undefined for a chunked body. */
function declaredLength(c: Context): number | undefined {
  const length = c.req.header('content-length')
  if (length === undefined || c.req.header('transfer-encoding') !== undefined) return undefined
  return Number(length)
}

type Reader = ReadableStreamDefaultReader<Uint8Array>

/** Reads and drops the rest of a body; true when it ended within `maxBytes` and `ms`. */
async function discard(reader: Reader, maxBytes: number, ms: number): Promise<boolean> {
  let late = false
  const timer = setTimeout(() => {
    late = true
    reader.cancel().catch(() => undefined)
  }, ms)
  try {
    let read = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return !late
      read += value.byteLength
      if (read > maxBytes) return false
    }
  } catch {
    return false // the client went away
  } finally {
    clearTimeout(timer)
  }
}

/** The response, telling node:http to close the connection after it (the rest of the body is never read). */
function closing(response: Response): Response {
  response.headers.set('connection', 'close')
  return response
}

function joined(chunks: readonly Uint8Array[], length: number): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}
