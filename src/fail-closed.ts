// Store trouble fails closed: the one place a store failure becomes STORE_UNAVAILABLE (a 503), for every caller.
import { HallpassError } from './errors.ts'

/**
 * The error to throw for `cause`, a failure of `store`: a `HallpassError` as it is (it already says what went
 * wrong), anything else as STORE_UNAVAILABLE with `cause` attached.
 */
export function storeUnavailable(cause: unknown, store = 'the session store'): HallpassError {
  if (cause instanceof HallpassError) return cause
  return new HallpassError('STORE_UNAVAILABLE', `${store} is unavailable`, { cause })
}

/**
 * A store call's result; any failure becomes STORE_UNAVAILABLE (see `storeUnavailable`), so callers answer 503. One
 * `.then` on the call's promise, not an async frame around it: every store call of every request goes through here.
 */
export function failClosed<T>(call: Promise<T>, store?: string): Promise<T> {
  const onRejected =
    store === undefined ? sessionStoreUnavailable : (cause: unknown) => unavailable(cause, store)
  return Promise.resolve(call).then(undefined, onRejected)
}

/** `failClosed`'s rejection handler for the session store (no closure per call). */
function sessionStoreUnavailable(cause: unknown): never {
  throw storeUnavailable(cause)
}

function unavailable(cause: unknown, store: string): never {
  throw storeUnavailable(cause, store)
}

/** `failClosed` for a synchronous store call (an embedded database). */
export function failClosedSync<T>(call: () => T, store?: string): T {
  try {
    return call()
  } catch (cause) {
    throw storeUnavailable(cause, store)
  }
}
