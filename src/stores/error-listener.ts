// One 'error' listener per driver client (Redis, pg), shared by every store on it: an unheard 'error' ends the process.
interface Emitter {
  on(event: 'error', listener: () => void): unknown
  off?(event: 'error', listener: () => void): unknown
  removeListener?(event: 'error', listener: () => void): unknown
}

/** The listener on each client, reference counted by the stores that use it. */
const listeners = new WeakMap<object, { count: number; listener: () => void }>()

/**
 * Listens for a client's 'error' events (a dropped connection, an idle pooled one included), so they reach the
 * store's callers as STORE_UNAVAILABLE from the failed command instead of crashing the process.
 */
export function listenForErrors(client: object): void {
  const entry = listeners.get(client)
  if (entry) {
    entry.count += 1
    return
  }
  const emitter = client as Partial<Emitter>
  if (typeof emitter.on !== 'function') return
  const listener = (): void => undefined
  emitter.on.call(client, 'error', listener)
  listeners.set(client, { count: 1, listener })
}

/** Removes the listener when the last store on `client` closes. */
export function stopListeningForErrors(client: object): void {
  const entry = listeners.get(client)
  if (!entry || --entry.count > 0) return
  listeners.delete(client)
  const emitter = client as Partial<Emitter>
  ;(emitter.off ?? emitter.removeListener)?.call(client, 'error', entry.listener)
}
