// Holds one node response until the session is committed, so no byte leaves before the store has the changes.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { SessionHeaders } from './shared.ts'
import { setSessionHeaders } from './node.ts'

type Method = 'writeHead' | 'write' | 'end' | 'flushHeaders'
type Call = { method: Method; args: unknown[] }
type Fn = (this: ServerResponse, ...args: unknown[]) => unknown

const METHODS: readonly Method[] = ['writeHead', 'write', 'end', 'flushHeaders']
/** Bytes queued while the commit runs before `write()` asks the writer to wait for 'drain'. */
const HIGH_WATER = 64 * 1024

/** How a hold ends. `commit` resolves to the headers to add (or none); a rejection drops the held calls. */
export interface HoldOptions {
  commit: () => Promise<SessionHeaders | undefined>
  /** Called when `commit` (or the replay) fails before anything was sent, after the held calls and the app's headers were dropped. Must not throw. */
  failed: (err: unknown) => void
}

/**
 * Puts a gate on this one response object (own properties, nothing global): the first
 * `writeHead`/`write`/`end`/`flushHeaders` starts the commit, and every such call is held, in
 * order, until it settles. Then the gate removes itself, adds the session headers and replays the
 * calls. While held, `headersSent` reads true, as it would have without the gate.
 */
export function holdResponse(res: ServerResponse, options: HoldOptions): void {
  const target = res as unknown as Record<string, unknown>
  const originals = new Map<Method, { fn: Fn; own: boolean }>()
  const held: Call[] = []
  let state: 'waiting' | 'holding' | 'open' = 'waiting'
  let heldBytes = 0
  let askedToWait = false

  for (const method of METHODS) {
    const fn = target[method] as Fn
    originals.set(method, { fn, own: Object.hasOwn(res, method) })
    target[method] = function gate(this: ServerResponse, ...args: unknown[]): unknown {
      if (state === 'open') return fn.apply(this, args)
      held.push({ method, args })
      if (state === 'waiting') start()
      if (method === 'write') return buffered(args[0])
      return method === 'flushHeaders' ? undefined : res
    }
  }

  function start(): void {
    state = 'holding'
    Object.defineProperty(res, 'headersSent', { configurable: true, get: () => true })
    options
      .commit()
      .then(release)
      .catch((err: unknown) => {
        if (state !== 'open') open()
        held.length = 0
        if (res.headersSent) return void res.destroy()
        for (const name of res.getHeaderNames()) res.removeHeader(name)
        res.statusCode = 200
        options.failed(err)
      })
  }

  function buffered(chunk: unknown): boolean {
    heldBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : ((chunk as Uint8Array | undefined)?.byteLength ?? 0)
    if (heldBytes < HIGH_WATER) return true
    askedToWait = true
    return false
  }

  function open(): void {
    state = 'open'
    delete target.headersSent
    for (const [method, original] of originals) {
      if (!original.own) delete target[method]
      else target[method] = original.fn
    }
  }

  function release(headers: SessionHeaders | undefined): void {
    open()
    const first = held[0]
    if (first?.method === 'writeHead') first.args = headArgsOnto(res, first.args)
    if (headers && !res.headersSent) setSessionHeaders(res, headers)
    let lastWrite: unknown = true
    for (const call of held) {
      const result = (originals.get(call.method) as { fn: Fn }).fn.apply(res, call.args)
      if (call.method === 'write') lastWrite = result
    }
    if (askedToWait && lastWrite !== false) res.emit('drain')
  }
}

/**
 * Moves the headers passed to `writeHead(status, [message], headers)` onto the response, so the
 * session's Set-Cookie is appended to the app's instead of being replaced by it. Returns the
 * arguments without the headers.
 */
function headArgsOnto(res: ServerResponse, args: unknown[]): unknown[] {
  const [status, second, third] = args
  const message = typeof second === 'string' ? second : undefined
  const headers = (message === undefined ? second : third) as OutgoingHttpHeaders | readonly unknown[] | undefined
  if (headers === undefined || headers === null) return args
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1] as string)
  } else {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined && value !== null) res.setHeader(name, value as string | number | readonly string[])
  }
  return message === undefined ? [status] : [status, message]
}
