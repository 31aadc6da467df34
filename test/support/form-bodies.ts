// Form bodies for the CSRF body-bound tests: streamed sources that count what is pulled from them, and a heap probe.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export const URLENCODED = 'application/x-www-form-urlencoded'
export const BOUNDARY = 'hallpass-test-boundary'
export const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`

/** A body source that makes `size` bytes on demand, never more than asked for, and counts what was pulled. */
export interface CountingBody {
  readonly stream: ReadableStream<Uint8Array>
  /** Bytes handed to the stream so far. */
  pulled(): number
}

/**
 * `head`, then filler bytes up to `size`, in fresh chunks of `chunk` bytes (a new buffer each, as a socket
 * gives), made only when the stream is pulled (highWaterMark 0: nothing is read ahead by the source itself).
 */
export function countingBody(head: string, size: number, chunk: number, fill = 'a'): CountingBody {
  const first = new TextEncoder().encode(head)
  const filler = fill.charCodeAt(0)
  let pulled = 0
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= size) return controller.close()
        const length = Math.min(chunk, size - pulled)
        const bytes = new Uint8Array(length).fill(filler)
        if (pulled < first.length) bytes.set(first.subarray(pulled, pulled + length))
        pulled += length
        controller.enqueue(bytes)
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, pulled: () => pulled }
}

/** A POST `Request` streaming `body`, with no Origin and no Sec-Fetch-Site (what a non-browser client sends). */
export function streamedPost(
  url: string,
  type: string,
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
): Request {
  return new Request(url, {
    method: 'POST',
    headers: { 'content-type': type, ...headers },
    body,
    duplex: 'half',
  } as RequestInit)
}

/** One multipart part. */
export function part(name: string, value: string, filename?: string): string {
  const disposition = `form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}`
  return `--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n${value}\r\n`
}

/** Reads a stream to its end, counting bytes; keeps nothing. */
export async function drain(
  stream: ReadableStream<Uint8Array> | null,
  onChunk?: (total: number) => Promise<void> | void,
): Promise<number> {
  if (stream === null) return 0
  let total = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return total
    total += value.length
    await onChunk?.(total)
  }
}

let collect: (() => void) | undefined

/**
 * Bytes held in ArrayBuffers (the buffers of streamed bodies live there, outside the V8 heap) after a full
 * garbage collection: deterministic, since only live buffers remain. Backing stores are freed off-thread
 * after a collection, so it collects, yields once, and collects again.
 */
export async function liveArrayBuffers(): Promise<number> {
  if (!collect) {
    setFlagsFromString('--expose-gc')
    collect = runInNewContext('gc') as () => void
  }
  collect()
  await new Promise((resolve) => setImmediate(resolve))
  collect()
  return process.memoryUsage().arrayBuffers
}
