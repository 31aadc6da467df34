// The `_csrf` form-field lookup: at most the first 64 KiB of a form body, from a tee, so the handler keeps the body.

/** The most of a body the token lookup reads: 64 KiB. Past it, a field counts as absent. */
export const FORM_TOKEN_BOUND = 64 * 1024

const FORM_TYPE = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i
const BOUNDARY = /;\s*boundary\s*=\s*(?:"([^"\r\n]{1,70})"|([^\s;"]{1,70}))/i
const AMPERSAND = 0x26
const utf8 = new TextDecoder()
/** One character per byte (WHATWG latin1 is windows-1252, single-byte), so string offsets are byte offsets. */
const bytewise = new TextDecoder('latin1')

/**
 * `_csrf` from a urlencoded or multipart form body, read without buffering the body: the request is cloned
 * (a tee of its stream), at most `FORM_TOKEN_BOUND` bytes are read from the clone, and the clone is then
 * cancelled, so the handler still reads the whole original body and the clone keeps none of it. A
 * urlencoded field counts when it ends within the bound; a multipart field when its part does. Anything
 * else (a larger prefix, another content type, a used or broken body, a file part) is "no token", never
 * an error: the CSRF check then rejects with 403. Apps still need their own body limit for their handlers.
 */
export async function readFormToken(request: Request): Promise<string | undefined> {
  const type = request.headers.get('content-type') ?? ''
  const kind = FORM_TYPE.exec(type)?.[1]?.toLowerCase()
  if (kind === undefined || request.body === null || request.bodyUsed) return undefined
  const boundary = kind === 'multipart/form-data' ? boundaryOf(type) : ''
  if (boundary === undefined) return undefined
  try {
    const prefix = await readPrefix(request.clone().body, FORM_TOKEN_BOUND)
    if (prefix === undefined) return undefined
    return boundary === '' ? urlencodedField(prefix) : multipartField(prefix, boundary)
  } catch {
    return undefined
  }
}

/** The bytes read and whether they are the whole body. */
interface Prefix {
  readonly bytes: Uint8Array
  readonly complete: boolean
}

/**
 * Reads until the body ends or `bound` bytes have arrived (the chunk that crosses it is cut), then cancels
 * the stream. A cancelled tee branch stops receiving chunks, so the other branch is read as before.
 */
async function readPrefix(
  stream: ReadableStream<Uint8Array> | null,
  bound: number,
): Promise<Prefix | undefined> {
  if (stream === null) return undefined
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { bytes: concat(chunks, size), complete: true }
      if (!(value instanceof Uint8Array)) return undefined
      const kept = value.subarray(0, bound - size)
      chunks.push(kept)
      size += kept.length
      if (size >= bound) return { bytes: concat(chunks, size), complete: false }
    }
  } finally {
    // Not awaited: a tee branch's cancel settles only once the other branch ends too.
    reader.cancel().catch(() => undefined)
  }
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/** The first `_csrf` of a urlencoded prefix, counting only the fields that end before the cut. */
function urlencodedField({ bytes, complete }: Prefix): string | undefined {
  const end = complete ? bytes.length : bytes.lastIndexOf(AMPERSAND)
  if (end <= 0) return undefined
  return new URLSearchParams(utf8.decode(bytes.subarray(0, end))).get('_csrf') ?? undefined
}

/** The value of the first part named `_csrf`, if that part ends within the prefix and is not a file. */
function multipartField({ bytes }: Prefix, boundary: string): string | undefined {
  const text = bytewise.decode(bytes)
  const open = `--${boundary}`
  const delimiter = `\r\n${open}`
  // The first delimiter may open the body (no preamble, so no CRLF before it).
  const found = text.startsWith(open) ? 0 : text.indexOf(delimiter)
  if (found === -1) return undefined
  let at = found === 0 && text.startsWith(open) ? open.length : found + delimiter.length
  for (;;) {
    if (text.startsWith('--', at)) return undefined // the close delimiter: no more parts
    const lineEnd = text.indexOf('\r\n', at)
    const headersEnd = lineEnd === -1 ? -1 : text.indexOf('\r\n\r\n', lineEnd)
    if (headersEnd === -1) return undefined
    const contentStart = headersEnd + 4
    const contentEnd = text.indexOf(delimiter, contentStart)
    if (contentEnd === -1) return undefined // the part runs past the bound
    const field = fieldOf(text.slice(lineEnd + 2, headersEnd))
    if (field?.name === '_csrf')
      return field.file ? undefined : utf8.decode(bytes.subarray(contentStart, contentEnd))
    at = contentEnd + delimiter.length
  }
}

/** The field name of a part's Content-Disposition, and whether it is a file. */
function fieldOf(headers: string): { name: string; file: boolean } | undefined {
  const disposition = headers.split('\r\n').find((line) => /^content-disposition\s*:/i.test(line))
  if (disposition === undefined) return undefined
  const params = disposition.slice(disposition.indexOf(':') + 1)
  const name = /;\s*name\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(params)
  if (name === null) return undefined
  return { name: name[1] ?? name[2] ?? '', file: /;\s*filename\*?\s*=/i.test(params) }
}

function boundaryOf(type: string): string | undefined {
  const match = BOUNDARY.exec(type)
  return match === null ? undefined : (match[1] ?? match[2])
}
