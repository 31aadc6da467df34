// Public types of hallpass/client: options, the snapshot, and the store it returns.

/** Session facts from the status endpoint, as epoch milliseconds. Never a token: `id` is the public (hashed) id. */
export interface ClientSessionInfo {
  readonly id: string
  readonly createdAt: number
  /** Absolute expiry. */
  readonly expiresAt: number
  /** When the session ends if nothing uses it before then. */
  readonly idleExpiresAt: number
}

/** What the client knows right now. A new object only when something changed (fits `useSyncExternalStore`). */
export interface SessionSnapshot<U = unknown> {
  /** `loading` before the first answer; `error` when the last check failed (user and session are the last known ones). */
  readonly status: 'loading' | 'authenticated' | 'anonymous' | 'error'
  readonly user: U | null
  readonly session: ClientSessionInfo | null
  /** When this state was learned (epoch ms, browser clock), or null while loading. */
  readonly checkedAt: number | null
}

/** Options for `createSessionClient`. */
export interface SessionClientOptions<U = unknown> {
  /** The app's status endpoint: `GET` answers `{ authenticated: false }` or `{ authenticated: true, user, session }`. */
  statusUrl: string
  /** How long before the idle timeout `onExpiring` fires, in seconds. @default 60 */
  expiringSeconds?: number
  /** Called once per idle deadline, `expiringSeconds` before it (or at once when less is left), with the seconds left. */
  onExpiring?: (secondsLeft: number) => void
  /** Called after every snapshot change, with the new and the previous snapshot. */
  onChange?: (snapshot: SessionSnapshot<U>, previous: SessionSnapshot<U>) => void
  /** BroadcastChannel name shared by the app's tabs; `false` turns cross-tab sync off. @default 'hallpass' */
  channelName?: string | false
  /** The fetch to use (tests, instrumentation). Called with `credentials: 'same-origin'` and `cache: 'no-store'`. @default globalThis.fetch */
  fetch?: typeof fetch
  /** Focus and visibility events closer together than this cause one refresh. @default 250 */
  debounceMs?: number
}

/** The store returned by `createSessionClient`. */
export interface SessionClient<U = unknown> {
  /** Registers a listener for snapshot changes; returns the function that removes it. */
  subscribe(listener: () => void): () => void
  /** The current snapshot; the same object until something changes. */
  getSnapshot(): SessionSnapshot<U>
  /** The snapshot to render on the server (`loading`), for `useSyncExternalStore`'s third argument. */
  getServerSnapshot(): SessionSnapshot<U>
  /** Asks the status endpoint now. Concurrent calls share one request. Never rejects: failures become `status: 'error'`. */
  refresh(): Promise<SessionSnapshot<U>>
  /**
   * POSTs to the app's logout endpoint (pass its CSRF header in `init`). On a 2xx answer the snapshot becomes
   * `anonymous` and every other tab is told; otherwise the status is checked again. Resolves with the response.
   */
  logout(url: string, init?: RequestInit): Promise<Response>
  /** Removes event listeners, timers and the channel, and aborts requests in flight. */
  dispose(): void
}
