// The one error class hallpass throws, with stable machine-readable codes.

/**
 * Stable error codes, each thrown by hallpass somewhere. Branch on these, never on message text.
 * Expected outcomes are values, not errors: a refused login attempt is `attempt()`'s `{ ok: false, reason }`
 * (`hallpass/throttle`), a failed CSRF check is `check()`'s `{ ok: false, reason }` or the adapters' 403
 * (whose body carries `CSRF_REJECTED`); `CSRF_REJECTED` is thrown by `assert()` and Next's `sessionAction`.
 */
export type HallpassErrorCode =
  | 'CONFIG_INVALID'
  | 'STORE_UNAVAILABLE'
  | 'SESSION_DATA_INVALID'
  | 'SESSION_TOO_LARGE'
  | 'SESSION_CONFLICT'
  | 'SESSION_GONE'
  | 'SESSION_COMMITTED'
  | 'INVALID_ARGUMENT'
  | 'NOT_SUPPORTED'
  | 'CSRF_REJECTED'

/**
 * Every error hallpass raises on purpose.
 *
 * @example
 * ```ts
 * import { HallpassError } from 'hallpass'
 * if (err instanceof HallpassError && err.code === 'STORE_UNAVAILABLE') return new Response(null, { status: 503 })
 * ```
 */
export class HallpassError extends Error {
  override readonly name = 'HallpassError'
  readonly code: HallpassErrorCode

  constructor(code: HallpassErrorCode, message: string, options?: { cause?: unknown }) {
    super(message)
    this.code = code
    if (options !== undefined && 'cause' in options) causes.set(this, options.cause)
  }
}

/**
 * A HallpassError's `cause` (often a store driver's error, whose message names hosts and ports) is read through
 * the prototype, not kept as an own property: serializers that copy an error's own properties to the browser
 * (TanStack Start's server functions, through seroval) send the code and message, never the cause. Logs and
 * `err.cause` still see it.
 */
const causes = new WeakMap<HallpassError, unknown>()
Object.defineProperty(HallpassError.prototype, 'cause', {
  configurable: true,
  get(this: HallpassError): unknown {
    return causes.get(this)
  },
})

/** True when `err` is a HallpassError, optionally with the given code. */
export function isHallpassError(err: unknown, code?: HallpassErrorCode): err is HallpassError {
  return err instanceof HallpassError && (code === undefined || err.code === code)
}

/** Throws CONFIG_INVALID with a message that says how to fix the option. */
export function configError(message: string): never {
  throw new HallpassError('CONFIG_INVALID', `hallpass: ${message}`)
}

/**
 * Throws CONFIG_INVALID for a key of `options` that `known` does not list: a misspelt option is never ignored.
 * `hint`, when given, ends the message (why an option the caller might expect is not there).
 */
export function checkOptionKeys(
  owner: string,
  options: object,
  known: Iterable<string>,
  hint?: string,
): void {
  const names = [...known]
  for (const key of Object.keys(options))
    if (!names.includes(key))
      configError(
        `${owner}: unknown option "${key}"; known options are ${names.join(', ')}${hint ? `. ${hint}` : ''}`,
      )
}
