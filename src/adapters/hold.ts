// Holds one node response until the session is committed, so no byte leaves before the store has the changes.
import { OutgoingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { setSessionHeaders } from './node-io.ts'
import type { SessionHeaders } from './steps.ts'

type Method = 'writeHead' | 'write' | 'end' | 'flushHeaders'
type Fn = (this: ServerResponse, ...args: unknown[]) => unknown

/** Bytes queued while the commit runs before `write()` asks the writer to wait for 'drain'. */
const HIGH_WATER = 64 * 1024

/**
 * How a hold ends, one per adapter and shared by every response it holds (so holding a response allocates
 * no closures): the response's own session and context come as arguments.
 */
export interface HoldPolicy<C> {
  /** Resolves to the headers to add (or none); a rejection drops the held calls. */
  commit(session: Session<SessionData>): Promise<SessionHeaders | undefined>
  /** The headers now, when the commit has nothing to write (the response then is not held at all); undefined to hold and `commit`. */
  commitNow(session: Session<SessionData>): SessionHeaders | undefined
  /** Called when `commit` (or the replay) fails before anything was sent, after the held calls and the app's headers were dropped. Must not throw. */
  failed(err: unknown, res: ServerResponse, session: Session<SessionData>, context: C): void
}

/** One response's gate: its session, what was there before it, and the calls it holds. */
class Gate<C> {
  state: 'waiting' | 'holding' | 'open' = 'waiting'
  held: Array<{ method: Method; args: unknown[] }> = []
  heldBytes = 0
  askedToWait = false

  constructor(
    readonly res: ServerResponse,
    readonly policy: HoldPolicy<C>,
    readonly session: Session<SessionData>,
    readonly context: C,
    readonly writeHead: Fn,
    readonly write: Fn,
    readonly end: Fn,
    readonly flushHeaders: Fn,
    readonly under?: Gate<unknown>,
  ) {}

  /** True while this gate, or one it passes its calls to, holds the response. */
  holding(): boolean {
    return this.state === 'holding' || (this.under?.holding() ?? false)
  }

  /** A function that calls into this gate, for a gate put over it. */
  entry(method: Method): Fn {
    return (...args: unknown[]) => this.call(method, args)
  }

  /** A call to one of the four methods: passed on when open, otherwise held (the first one starts the commit). */
  call(method: Method, args: unknown[]): unknown {
    if (this.state === 'waiting') {
      const headers = this.commitNow()
      if (headers) {
        // Nothing to write: the session headers go on now, after the app's own (as in release), and nothing is held.
        this.state = 'open'
        const passed = method === 'writeHead' ? headArgsOnto(this.res, args) : args
        if (!this.res.headersSent) setSessionHeaders(this.res, headers)
        return this[method].apply(this.res, passed)
      }
    }
    if (this.state === 'open') return this[method].apply(this.res, args)
    this.held.push({ method, args })
    // As without the gate, a response whose end() was called reads as ended (writableEnded, finished).
    if (method === 'end') (this.res as { finished: boolean }).finished = true
    if (this.state === 'waiting') this.start()
    if (method === 'write') return this.buffered(args[0])
    return method === 'flushHeaders' ? undefined : this.res
  }

  /** The headers now when the commit has nothing to write; undefined to hold (an error here surfaces again from `commit`). */
  private commitNow(): SessionHeaders | undefined {
    try {
      return this.policy.commitNow(this.session)
    } catch {
      return undefined
    }
  }

  private start(): void {
    this.state = 'holding'
    this.policy.commit(this.session).then(
      (headers) => this.release(headers),
      (err: unknown) => this.drop(err),
    )
  }

  private buffered(chunk: unknown): boolean {
    this.heldBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : ((chunk as Uint8Array | undefined)?.byteLength ?? 0)
    if (this.heldBytes < HIGH_WATER) return true
    this.askedToWait = true
    return false
  }

  private release(headers: SessionHeaders | undefined): void {
    this.state = 'open'
    const res = this.res
    const held = this.held
    this.held = []
    ;(res as { finished: boolean }).finished = false // the held end() runs now, for real
    try {
      const first = held[0]
      if (first?.method === 'writeHead') first.args = headArgsOnto(res, first.args)
      if (headers && !res.headersSent) setSessionHeaders(res, headers)
      let lastWrite: unknown = true
      for (const call of held) {
        const result = this[call.method].apply(res, call.args)
        if (call.method === 'write') lastWrite = result
      }
      if (this.askedToWait && lastWrite !== false) res.emit('drain')
    } catch (err) {
      this.drop(err)
    }
  }

  private drop(err: unknown): void {
    this.state = 'open'
    this.held = []
    const res = this.res
    if (res.headersSent) return void res.destroy()
    ;(res as { finished: boolean }).finished = false // the held end() never ran: the failure reply ends it
    for (const name of res.getHeaderNames()) res.removeHeader(name)
    res.statusCode = 200
    this.policy.failed(err, res, this.session, this.context)
  }
}

const GATE = Symbol('hallpass.gate')
type Gated = ServerResponse & { [GATE]: Gate<unknown> }

// One function per method, shared by every response: the per-response state lives in the Gate.
function writeHead(this: Gated, ...args: unknown[]): unknown {
  return this[GATE].call('writeHead', args)
}
function write(this: Gated, ...args: unknown[]): unknown {
  return this[GATE].call('write', args)
}
function end(this: Gated, ...args: unknown[]): unknown {
  return this[GATE].call('end', args)
}
function flushHeaders(this: Gated, ...args: unknown[]): unknown {
  return this[GATE].call('flushHeaders', args)
}

const realHeadersSent = Object.getOwnPropertyDescriptor(OutgoingMessage.prototype, 'headersSent')?.get as (this: ServerResponse) => boolean
/** While held, `headersSent` reads true, as it would have without the gate. */
function headersSent(this: Gated): boolean {
  return this[GATE].holding() || realHeadersSent.call(this)
}

/**
 * Puts a gate on this one response: the first `writeHead`/`write`/`end`/`flushHeaders` commits the
 * session. When the commit has nothing to write (`policy.commitNow`), its headers are added and the call
 * goes straight through. Otherwise that call and every later one are held, in order, while
 * `policy.commit(session)` runs; then the session headers are added and the calls replayed, and later
 * calls pass straight through to what was there before the gate. If the commit fails, the held calls
 * are dropped and `policy.failed(err, res, session, context)` answers. While held, `headersSent` reads true.
 *
 * The gate's methods are own properties of the response (shared functions, the per-response state is one
 * object under a symbol), not a prototype put under it: Express sets the prototype of every response that
 * enters a mounted sub-app (`app.use('/admin', admin)`) to that app's `response`, which would drop the gate.
 */
export function holdResponse<C>(res: ServerResponse, policy: HoldPolicy<C>, session: Session<SessionData>, context: C): void {
  const target = res as unknown as Record<PropertyKey, unknown>
  const under = target[GATE] as Gate<unknown> | undefined
  // A second gate (session() installed twice) passes its calls to the first one, not to itself.
  const gate = under
    ? new Gate(res, policy, session, context, under.entry('writeHead'), under.entry('write'), under.entry('end'), under.entry('flushHeaders'), under)
    : new Gate(res, policy, session, context, res.writeHead as Fn, res.write as Fn, res.end as Fn, res.flushHeaders as Fn)
  target[GATE] = gate
  target.writeHead = writeHead
  target.write = write
  target.end = end
  target.flushHeaders = flushHeaders
  Object.defineProperty(res, 'headersSent', { configurable: true, enumerable: true, get: headersSent })
}

/**
 * Moves the headers passed to `writeHead(status, [message], headers)` onto the response, so the
 * session's Set-Cookie is appended to the app's instead of being replaced by it. Returns the
 * arguments without the headers.
 */
function headArgsOnto(res: ServerResponse, args: unknown[]): unknown[] {
  const [status, second, third] = args
  const message = typeof second === 'string' ? second : undefined
  // Node's own reading: the headers are the third argument after a string message, else the third or the second.
  const headers = (message === undefined ? (third ?? second) : third) as OutgoingHttpHeaders | readonly unknown[] | undefined
  if (headers === undefined || headers === null) return args
  if (Array.isArray(headers)) {
    // As node does: a raw array replaces the headers it names, and a name it repeats (Set-Cookie) keeps every value.
    for (let i = 0; i + 1 < headers.length; i += 2) res.removeHeader(String(headers[i]))
    for (let i = 0; i + 1 < headers.length; i += 2) res.appendHeader(String(headers[i]), headers[i + 1] as string)
  } else {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined && value !== null) res.setHeader(name, value as string | number | readonly string[])
  }
  return message === undefined ? [status] : [status, message]
}
