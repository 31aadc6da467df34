// Holds one node response until the session is committed, so no byte leaves before the store has the changes.
import { sessionControl } from '../core/control.ts'
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { HallpassError } from '../errors.ts'
import type { SessionHeaders } from '../pipeline/pipeline.ts'
import type { RequestScope } from '../pipeline/scope.ts'
import { setSessionHeaders } from './node-io.ts'

type Method = 'writeHead' | 'write' | 'end' | 'flushHeaders'
/** A wrapper the gate puts on the response in place of one of its methods (called with the response as `this`). */
type Wrapper = (...args: unknown[]) => unknown

/** Bytes queued while the commit runs before `write()` asks the writer to wait for 'drain'. */
const HIGH_WATER = 64 * 1024

/**
 * How a hold ends, one per adapter and shared by every response it holds: the response's own session and
 * context come as arguments.
 */
export interface HoldPolicy<C> {
  /** Resolves to the headers to add (or none); a rejection drops the held calls. */
  commit(scope: RequestScope): Promise<SessionHeaders | undefined>
  /** The headers now, when the commit has nothing to write (the response then is not held at all); undefined to hold and `commit`. */
  commitNow(scope: RequestScope): SessionHeaders | undefined
  /** Called when `commit` (or the replay) fails before anything was sent, after the held calls and the app's headers were dropped. Must not throw. */
  failed(err: unknown, res: ServerResponse, scope: RequestScope, context: C): void
}

/**
 * What the gate puts in the response's `_header` while it holds. Node's own `headersSent` getter is `!!this._header`
 * (the serialized head, set by `writeHead`) on Node 20, 22 and 24, so a held response reads as sent, as it would
 * have without the gate, and `setHeader` throws ERR_HTTP_HEADERS_SENT as it would have. A placeholder in a field the
 * response already has, rather than an own `headersSent` getter: each property put on an Express response costs a
 * new hidden class, and an accessor about 6 KB more of garbage that survives a scavenge (docs/performance.md).
 */
const HELD_HEAD = 'HTTP/1.1 500 hallpass holds this response until the session is committed\r\n\r\n'

/**
 * One response's gate: its session, what was there before it, and the calls it holds. Its methods are
 * closures over it, put on the response as own properties over whatever was there (a second gate, from
 * `session()` installed twice, chains over the first like any other wrapper). A watching gate has only
 * `writeHead` (every first header goes through it, from `write`/`end`/`flushHeaders` too); `arm()` adds
 * the other three, so the gate can hold. While it holds, `_header` has the placeholder `HELD_HEAD`.
 */
class Gate<C> {
  state: 'waiting' | 'holding' | 'open' = 'waiting'
  held: Array<{ method: Method; args: unknown[] }> | undefined = undefined
  heldBytes = 0
  askedToWait = false
  armed = false
  /** Armed under a `writeHead` wrapper put on after the gate (on-headers): true once a `writeHead` call entered it after arming. */
  headAfterArm: boolean | undefined = undefined
  /** True while Node's `_implicitHeader` runs, from a `write`/`end`/`flushHeaders` that did not go through the armed gate. */
  implicitHead = false
  /** Set when the held calls are dropped: a later call from above the gate (compression's deflate stream) is the dropped reply's. */
  dropped = false
  // What was there before the gate; write, end and flushHeaders are taken when it is armed.
  readonly writeHead: ServerResponse['writeHead']
  /** The gate's own `writeHead`, as put on the response; its `gate` property names this gate. */
  private readonly entry: Wrapper
  /** The gate right under this one (session() installed twice), when nothing was put between them. */
  private readonly under: Gate<unknown> | undefined
  write: ServerResponse['write'] | undefined = undefined
  end: ServerResponse['end'] | undefined = undefined
  flushHeaders: ServerResponse['flushHeaders'] | undefined = undefined

  constructor(
    readonly res: ServerResponse,
    readonly policy: HoldPolicy<C>,
    readonly scope: RequestScope,
    readonly context: C,
  ) {
    this.writeHead = res.writeHead
    const under: unknown = Reflect.get(this.writeHead, 'gate')
    this.under = under instanceof Gate ? under : undefined
    this.entry = (...args) => this.call('writeHead', args)
    Reflect.set(this.entry, 'gate', this)
    Reflect.set(res, 'writeHead', this.entry)
  }

  /**
   * Makes the gate able to hold: puts `write`, `end` and `flushHeaders` over the response's. Only
   * while waiting. `late`: armed by a change during the request, when a send call may already be under way.
   */
  arm(late: boolean): void {
    if (this.armed || this.state !== 'waiting') return
    // The gate under this one arms first, so its write/end sit under this one's, in the same order as writeHead's
    // (else a writeHead held here would reach it after an end() it already holds).
    this.under?.arm(late)
    this.armed = true
    const res = this.res
    this.write = res.write
    this.end = res.end
    this.flushHeaders = res.flushHeaders
    const wrap =
      (method: Method): Wrapper =>
      (...args) =>
        this.call(method, args)
    Reflect.set(res, 'write', wrap('write'))
    Reflect.set(res, 'end', wrap('end'))
    Reflect.set(res, 'flushHeaders', wrap('flushHeaders'))
    if (late) this.guardHeaderUnderWay()
  }

  /** Starts or ends the hold: while holding, the response reads as sent (`HELD_HEAD`), unless it already was. */
  private hold(holding: boolean): void {
    const res = this.res
    const head: unknown = Reflect.get(res, '_header')
    if (holding) {
      this.state = 'holding'
      if (head === null) Reflect.set(res, '_header', HELD_HEAD)
      return
    }
    this.state = 'open'
    // A gate under this one that holds too (reached by a call that went around this one) keeps the placeholder.
    if (head === HELD_HEAD && this.under?.state !== 'holding') Reflect.set(res, '_header', null)
  }

  /**
   * Armed at install, nothing can be above the gate or under way. Armed late, a change made inside a wrapper of
   * writeHead/write/end put on after the gate may have armed it while a first header, from a call that did not
   * go through the armed gate, is under way: that header cannot be held (Node sends the body right after it).
   */
  private guardHeaderUnderWay(): void {
    const res = this.res
    // Both ways such a header can reach the gate are marked: a writeHead entered above it before arming, and Node's implicit header.
    const above: unknown = res.writeHead
    if (above !== this.entry && typeof above === 'function') {
      this.headAfterArm = false
      const marked: Wrapper = (...args) => (
        (this.headAfterArm = true),
        Reflect.apply(above, res, args)
      )
      Reflect.set(res, 'writeHead', marked)
    }
    const implicit: unknown = Reflect.get(res, '_implicitHeader')
    if (typeof implicit !== 'function') return
    Reflect.set(res, '_implicitHeader', () => {
      this.implicitHead = true
      try {
        Reflect.apply(implicit, res, [])
      } finally {
        this.implicitHead = false
      }
    })
  }

  /** A call to one of the four methods: passed on when open, otherwise held (the first one starts the commit). */
  call(method: Method, args: unknown[]): unknown {
    // As Node's own flushHeaders, a first one writes the head through res.writeHead, so a wrapper of it put on after
    // the gate (compression) sees the head before the response reads as sent (else it sends the body unencoded).
    if (method === 'flushHeaders' && this.state === 'waiting' && !this.res.headersSent)
      this.res.writeHead(this.res.statusCode)
    if (this.dropped)
      return method === 'write' ? true : method === 'flushHeaders' ? undefined : this.res
    if (this.state === 'waiting') {
      const headers =
        this.armed &&
        !(method === 'writeHead' && (this.headAfterArm === false || this.implicitHead))
          ? this.commitNow()
          : this.commitNowUnarmed()
      if (headers) {
        // Nothing to write: the session headers go on now, after the app's own (as in release), and nothing is held.
        this.state = 'open'
        const passed = method === 'writeHead' ? headArgsOnto(this.res, args) : args
        if (!this.res.headersSent) setSessionHeaders(this.res, headers)
        return Reflect.apply(this.method(method), this.res, passed)
      }
    }
    if (this.state === 'open') return Reflect.apply(this.method(method), this.res, args)
    ;(this.held ??= []).push({ method, args })
    // As without the gate, a response whose end() was called reads as ended (writableEnded, finished).
    if (method === 'end') Reflect.set(this.res, 'finished', true)
    if (this.state === 'waiting') this.start()
    if (method === 'write') return this.buffered(args[0])
    return method === 'flushHeaders' ? undefined : this.res
  }

  /** What was there before the gate, for one of the four methods (write, end and flushHeaders are there once armed). */
  private method(method: Method): ServerResponse[Method] {
    const found = this[method]
    if (found === undefined)
      throw new HallpassError('NOT_SUPPORTED', `hallpass: the response gate holds no ${method}`)
    return found
  }

  /** The headers now when the commit has nothing to write; undefined to hold (an error here surfaces again from `commit`). */
  private commitNow(): SessionHeaders | undefined {
    try {
      return this.policy.commitNow(this.scope)
    } catch {
      return undefined
    }
  }

  /**
   * The headers now for a gate that cannot hold (only `writeHead` is intercepted, possibly from inside `end()`, or
   * armed only while that `writeHead` was under way): nothing may be written, so a change throws SESSION_COMMITTED.
   * An error opens the gate and is thrown to the caller, as a failing `writeHead` would.
   */
  private commitNowUnarmed(): SessionHeaders {
    let headers: SessionHeaders | undefined
    try {
      headers = this.policy.commitNow(this.scope)
    } catch (err) {
      this.state = 'open'
      throw err
    }
    if (headers) return headers
    this.state = 'open'
    throw new HallpassError(
      'SESSION_COMMITTED',
      'The session was changed while the response was already starting (inside a wrapper of res.writeHead, res.write or res.end, such as an on-headers listener): the change could not reach the store before the headers, so nothing was sent. Change the session before the response starts.',
    )
  }

  private start(): void {
    this.hold(true)
    this.policy.commit(this.scope).then(
      (headers) => this.release(headers),
      (err: unknown) => this.drop(err),
    )
  }

  private buffered(chunk: unknown): boolean {
    this.heldBytes +=
      typeof chunk === 'string'
        ? Buffer.byteLength(chunk)
        : ArrayBuffer.isView(chunk)
          ? chunk.byteLength
          : 0
    if (this.heldBytes < HIGH_WATER) return true
    this.askedToWait = true
    return false
  }

  private release(headers: SessionHeaders | undefined): void {
    this.hold(false)
    const res = this.res
    const held = this.held ?? []
    this.held = undefined
    Reflect.set(res, 'finished', false) // the held end() runs now, for real
    try {
      const first = held[0]
      if (first?.method === 'writeHead') first.args = headArgsOnto(res, first.args)
      if (headers && !res.headersSent) setSessionHeaders(res, headers)
      let lastWrite: unknown = true
      for (const call of held) {
        const result: unknown = Reflect.apply(this.method(call.method), res, call.args)
        if (call.method === 'write') lastWrite = result
      }
      if (this.askedToWait && lastWrite !== false) res.emit('drain')
    } catch (err) {
      this.drop(err)
    }
  }

  private drop(err: unknown): void {
    this.hold(false)
    this.held = undefined
    this.dropped = true
    const res = this.res
    if (res.headersSent) return void res.destroy()
    // The failure reply goes to what was under the gate: a wrapper put on above it (compression) saw the dropped
    // reply, so it may refuse a second end() (a hung response) or still be sending that reply's bytes.
    for (const method of ['writeHead', 'write', 'end', 'flushHeaders'] as const)
      Reflect.set(res, method, this.method(method))
    Reflect.set(res, 'finished', false) // the held end() never ran: the failure reply ends it
    for (const name of res.getHeaderNames()) res.removeHeader(name)
    res.statusCode = 200
    this.policy.failed(err, res, this.scope, this.context)
  }
}

/**
 * Puts a gate on this one response: the first `writeHead`/`write`/`end`/`flushHeaders` commits the
 * session. When the commit has nothing to write (`policy.commitNow`), its headers are added and the call
 * goes straight through. Otherwise that call and every later one are held, in order, while
 * `policy.commit(scope)` runs; then the session headers are added and the calls replayed, and later
 * calls pass straight through to what was there before the gate. If the commit fails, the held calls
 * are dropped and `policy.failed(err, res, scope, context)` answers. While held, `headersSent` reads true.
 *
 * The gate's methods are own properties of the response, not a prototype put under it: Express sets the
 * prototype of every response that enters a mounted sub-app (`app.use('/admin', admin)`) to that app's
 * `response`, which would drop the gate.
 */
export function holdResponse<C>(
  res: ServerResponse,
  policy: HoldPolicy<C>,
  scope: RequestScope,
  context: C,
): void {
  new Gate(res, policy, scope, context).arm(false)
}

/**
 * `holdResponse`, armed only when the session is about to change: until then the gate has only `writeHead`
 * (one property on the response instead of five: on Node 20 and 22 each property added to an Express
 * response costs a new hidden class), so a request that changes nothing, the common read, is never held.
 * The first mutation (`session.beforeFirstChange`) or a touch due at load arms it; `armNow` (the Express adapter
 * passes it for POST, PUT, PATCH, DELETE, which usually change the session) arms it at once, as `holdResponse`.
 */
export function watchResponse<C>(
  res: ServerResponse,
  policy: HoldPolicy<C>,
  scope: RequestScope,
  context: C,
  armNow: boolean,
): void {
  const gate = new Gate(res, policy, scope, context)
  const control = sessionControl()
  if (armNow || control.needsWrite(scope.session)) return gate.arm(false)
  control.beforeFirstChange(scope.session, () => gate.arm(true))
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
  const headers = (message === undefined ? (third ?? second) : third) as
    OutgoingHttpHeaders | readonly unknown[] | undefined
  if (headers === undefined || headers === null) return args
  if (Array.isArray(headers)) {
    // As node does: a raw array replaces the headers it names, and a name it repeats (Set-Cookie) keeps every value.
    for (let i = 0; i + 1 < headers.length; i += 2) res.removeHeader(String(headers[i]))
    for (let i = 0; i + 1 < headers.length; i += 2)
      res.appendHeader(String(headers[i]), headers[i + 1] as string)
  } else {
    for (const [name, value] of Object.entries(headers))
      if (value !== undefined && value !== null)
        res.setHeader(name, value as string | number | readonly string[])
  }
  return message === undefined ? [status] : [status, message]
}
