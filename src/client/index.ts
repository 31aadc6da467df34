// hallpass/client: a browser store of the session status, with cross-tab logout and an idle-expiry warning. Never sees a token.
import { configError } from '../errors.ts'
import { openTabChannel, type TabMessage } from './channel.ts'
import { createExpiryTimer } from './expiry.ts'
import { parseStatus, sameData, serverOffset, type StatusResult } from './status.ts'
import type {
  ClientSessionInfo,
  SessionClient,
  SessionClientOptions,
  SessionSnapshot,
} from './types.ts'

export type {
  ClientSessionInfo,
  SessionClient,
  SessionClientOptions,
  SessionSnapshot,
} from './types.ts'

const LOADING: SessionSnapshot<never> = Object.freeze({
  status: 'loading',
  user: null,
  session: null,
  checkedAt: null,
})

/**
 * Creates the session store for a browser app. It asks `statusUrl` at once, again when the window
 * regains focus or becomes visible, and keeps every tab in step through a BroadcastChannel. It reads
 * no cookie and stores nothing: the session cookie stays HttpOnly and the state lives in memory.
 *
 * @default expiringSeconds 60, channelName 'hallpass', debounceMs 250, fetch globalThis.fetch
 * @example
 * ```ts
 * import { createSessionClient } from 'hallpass/client'
 * const session = createSessionClient({
 *   statusUrl: '/api/auth/session',
 *   onExpiring: (secondsLeft) => showBanner(`Signing you out in ${secondsLeft}s`),
 * })
 * const { status, user } = useSyncExternalStore(session.subscribe, session.getSnapshot, session.getServerSnapshot)
 * await session.logout('/api/auth/logout', { headers: { 'x-csrf-token': csrfToken } })
 * ```
 */
export function createSessionClient<U = unknown>(
  options: SessionClientOptions<U>,
): SessionClient<U> {
  const config = checkOptions(options)
  const fetchImpl = config.fetch // called unbound: window.fetch throws "Illegal invocation" when called as a method of another object
  const listeners = new Set<() => void>()
  const controllers = new Set<AbortController>()
  let snapshot: SessionSnapshot<U> = LOADING
  let generation = 0 // bumped by anything that makes answers already in flight stale (logout, another tab's logout)
  let inflight: { generation: number; promise: Promise<SessionSnapshot<U>> } | undefined
  let offset = 0 // server clock minus browser clock, in ms
  let ended: { id: string; until: number } | undefined // the last session seen to end: older news of it from other tabs is ignored
  let disposed = false

  const timer = createExpiryTimer(
    config.expiringSeconds * 1000,
    (secondsLeft) => runCallback(() => options.onExpiring?.(secondsLeft)),
    () => {
      if (snapshot.session) end(snapshot.session.idleExpiresAt) // only inferred: news of a later deadline still counts
    },
  )
  const channel = openTabChannel<U>(config.channelName, onTabMessage)

  function setSnapshot(next: SessionSnapshot<U>): void {
    if (next === snapshot || disposed) return
    const previous = snapshot
    snapshot = next
    if (next.status === 'authenticated' && next.session) {
      timer.schedule(Math.min(next.session.idleExpiresAt, next.session.expiresAt) - offset)
    } else if (next.status !== 'error') {
      timer.clear()
    }
    for (const listener of [...listeners]) runCallback(listener)
    runCallback(() => options.onChange?.(next, previous))
  }

  /** A new snapshot that reuses the current user and session objects when their data did not change. */
  function make(
    status: SessionSnapshot<U>['status'],
    user: U | null,
    session: ClientSessionInfo | null,
  ): SessionSnapshot<U> {
    return Object.freeze({
      status,
      user: sameData(user, snapshot.user) ? snapshot.user : user,
      session: sameData(session, snapshot.session) ? snapshot.session : session,
      checkedAt: Date.now(),
    })
  }

  /** The session is over (logout, expiry, another tab): anonymous now, without asking the server. */
  function end(until = Number.POSITIVE_INFINITY): void {
    if (snapshot.session) ended = { id: snapshot.session.id, until }
    if (snapshot.status !== 'anonymous') setSnapshot(make('anonymous', null, null))
  }

  function apply(result: StatusResult<U>): void {
    const before = snapshot
    if (!result.authenticated) {
      if (before.session) ended = { id: before.session.id, until: Number.POSITIVE_INFINITY }
      setSnapshot(make('anonymous', null, null))
      if (before.session) channel.post({ type: 'ended' }) // the session is gone: tell tabs that still show it
      return
    }
    setSnapshot(make('authenticated', result.user, result.session))
    if (
      before.status !== 'authenticated' ||
      before.user !== snapshot.user ||
      before.session !== snapshot.session
    ) {
      channel.post({ type: 'signed-in', user: result.user, session: result.session })
    }
  }

  function onTabMessage(message: TabMessage<U>): void {
    if (disposed) return
    if (message.type === 'ended') {
      generation += 1 // an answer already in flight predates the logout
      end()
      return
    }
    const current = snapshot.session
    if (ended && message.session.id === ended.id && message.session.idleExpiresAt <= ended.until)
      return // late news of a session seen to end
    if (
      current &&
      current.id === message.session.id &&
      message.session.idleExpiresAt < current.idleExpiresAt
    )
      return
    const next = make('authenticated', message.user, message.session)
    if (
      snapshot.status !== 'authenticated' ||
      next.user !== snapshot.user ||
      next.session !== snapshot.session
    )
      setSnapshot(next)
  }

  async function check(startedAt: number): Promise<SessionSnapshot<U>> {
    const controller = new AbortController()
    controllers.add(controller)
    const sentAt = Date.now()
    try {
      const response = await fetchImpl(config.statusUrl, {
        method: 'GET',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { accept: 'application/json' },
        signal: controller.signal,
      })
      const receivedAt = Date.now() // the Date header was stamped before this
      if (response.status !== 401 && !response.ok)
        throw new Error(`hallpass/client: the status endpoint answered ${response.status}`)
      const result =
        response.status === 401
          ? ({ authenticated: false } as const)
          : parseStatus<U>(await response.json())
      if (startedAt !== generation || disposed) return snapshot
      offset = serverOffset(response.headers.get('date'), sentAt, receivedAt)
      apply(result)
    } catch {
      if (startedAt !== generation || disposed) return snapshot
      setSnapshot(
        Object.freeze({
          status: 'error',
          user: snapshot.user,
          session: snapshot.session,
          checkedAt: Date.now(),
        }),
      )
    } finally {
      controllers.delete(controller)
    }
    return snapshot
  }

  function refresh(): Promise<SessionSnapshot<U>> {
    if (disposed) return Promise.resolve(snapshot)
    if (inflight && inflight.generation === generation) return inflight.promise
    const entry = { generation, promise: check(generation) }
    inflight = entry
    void entry.promise.finally(() => {
      if (inflight === entry) inflight = undefined
    })
    return entry.promise
  }

  async function logout(url: string, init: RequestInit = {}): Promise<Response> {
    generation += 1
    let response: Response
    try {
      response = await fetchImpl(url, {
        credentials: 'same-origin',
        cache: 'no-store',
        ...init,
        method: init.method ?? 'POST',
      })
    } catch (err) {
      void refresh() // the request may or may not have reached the server: ask what is true now
      throw err
    }
    if (response.ok) {
      generation += 1
      end()
      channel.post({ type: 'ended' })
    } else {
      void refresh()
    }
    return response
  }

  const detach = watchActivity(config.debounceMs, () => void refresh())
  if (detach) void refresh()

  return {
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    getSnapshot: () => snapshot,
    getServerSnapshot: () => LOADING,
    refresh,
    logout,
    dispose() {
      if (disposed) return
      disposed = true
      detach?.()
      timer.clear()
      channel.close()
      for (const controller of controllers) controller.abort()
      controllers.clear()
      listeners.clear()
    },
  }
}

/**
 * Calls `onActive` (debounced) when the window gains focus, the page becomes visible, or it comes
 * back from the back/forward cache. Returns the function that stops listening, or undefined outside a browser.
 */
function watchActivity(debounceMs: number, onActive: () => void): (() => void) | undefined {
  if (typeof window === 'undefined' || typeof document === 'undefined') return undefined
  let pending: ReturnType<typeof setTimeout> | undefined
  const poke = (): void => {
    if (pending !== undefined) clearTimeout(pending)
    pending = setTimeout(() => {
      pending = undefined
      onActive()
    }, debounceMs)
  }
  const onVisibility = (): void => {
    if (document.visibilityState === 'visible') poke()
  }
  const onPageShow = (event: PageTransitionEvent): void => {
    if (event.persisted) poke()
  }
  window.addEventListener('focus', poke)
  window.addEventListener('pageshow', onPageShow)
  document.addEventListener('visibilitychange', onVisibility)
  return () => {
    if (pending !== undefined) clearTimeout(pending)
    window.removeEventListener('focus', poke)
    window.removeEventListener('pageshow', onPageShow)
    document.removeEventListener('visibilitychange', onVisibility)
  }
}

/** Runs a user callback; an exception is reported (console, window.onerror) and never breaks the client. */
function runCallback(fn: () => void): void {
  try {
    fn()
  } catch (err) {
    const report = (globalThis as { reportError?: (e: unknown) => void }).reportError
    if (typeof report === 'function') report(err)
    else
      setTimeout(() => {
        throw err
      })
  }
}

interface CheckedOptions {
  statusUrl: string
  expiringSeconds: number
  debounceMs: number
  channelName: string | false
  fetch: typeof fetch
}

function checkOptions<U>(options: SessionClientOptions<U>): CheckedOptions {
  if (typeof options !== 'object' || options === null)
    configError('createSessionClient needs an options object with { statusUrl }')
  const { statusUrl, expiringSeconds = 60, debounceMs = 250, channelName = 'hallpass' } = options
  if (typeof statusUrl !== 'string' || statusUrl.length === 0)
    configError(
      'statusUrl must be the URL of the session status endpoint, e.g. "/api/auth/session"',
    )
  if (
    typeof expiringSeconds !== 'number' ||
    !Number.isFinite(expiringSeconds) ||
    expiringSeconds < 0
  )
    configError('expiringSeconds must be a number of seconds >= 0')
  if (typeof debounceMs !== 'number' || !Number.isFinite(debounceMs) || debounceMs < 0)
    configError('debounceMs must be a number of milliseconds >= 0')
  if (channelName !== false && (typeof channelName !== 'string' || channelName.length === 0))
    configError('channelName must be a non-empty string, or false')
  for (const name of ['onExpiring', 'onChange', 'fetch'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function')
      configError(`${name} must be a function`)
  }
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch
  if (typeof fetchImpl !== 'function') configError('no fetch available: pass { fetch }')
  return { statusUrl, expiringSeconds, debounceMs, channelName, fetch: fetchImpl }
}
