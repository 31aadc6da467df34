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

/** Awaits a store call; any failure becomes STORE_UNAVAILABLE (see `storeUnavailable`), so callers answer 503. */
export async function failClosed<T>(call: Promise<T>, store?: string): Promise<T> {
  try {
    return await call
  } catch (cause) {
    throw storeUnavailable(cause, store)
  }
}

/** `failClosed` for a synchronous store call (an embedded database). */
export function failClosedSync<T>(call: () => T, store?: string): T {
  try {
    return call()
  } catch (cause) {
    throw storeUnavailable(cause, store)
  }
}
