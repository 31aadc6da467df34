// Typed audit events emitted through `onEvent`; they carry public session ids, never tokens.

/** Why a presented cookie did not yield a session. */
export type RejectReason =
  | 'malformed'
  | 'unknown_key'
  | 'bad_mac'
  | 'bad_seal'
  | 'revoked'
  | 'duplicate_cookie'
  | 'lookalike_cookie'
  | 'not_found'
  | 'invalid_data'
  /** The id was rotated (login, regenerate) by another request a moment ago: anonymous, cookie not cleared. */
  | 'rotated'

interface Base {
  /** Epoch ms, from the manager's clock. */
  readonly at: number
}

/** Every event hallpass emits. Switch on `type`. */
export type SessionEvent =
  | (Base & {
      readonly type: 'session.created'
      readonly id: string
      readonly userId: string | null
    })
  | (Base & {
      readonly type: 'session.regenerated'
      readonly id: string
      readonly previousId: string
      readonly userId: string | null
      readonly reason: 'login' | 'regenerate'
    })
  | (Base & {
      readonly type: 'session.destroyed'
      readonly id: string
      readonly userId: string | null
      readonly reason: 'destroy' | 'logout'
    })
  /** logout()/destroy() could not reach the store: the cookie is cleared, the record lives until its idle timeout. */
  | (Base & {
      readonly type: 'session.end_failed'
      readonly id: string
      readonly userId: string | null
      readonly reason: 'destroy' | 'logout'
      readonly ip?: string
    })
  | (Base & {
      readonly type: 'session.expired'
      readonly id: string
      readonly userId: string | null
      readonly reason: 'idle' | 'absolute'
    })
  | (Base & {
      readonly type: 'session.revoked'
      readonly id: string
      readonly userId: string
      readonly reason: 'revoke' | 'evicted'
    })
  | (Base & {
      readonly type: 'session.rejected'
      readonly reason: RejectReason
      readonly id?: string
      readonly ip?: string
    })
  /** A record's data was upgraded (`migrate`) and written back: `from` the stored version `to` this deploy's. */
  | (Base & {
      readonly type: 'session.data_migrated'
      readonly id: string
      readonly userId: string | null
      readonly from: number
      readonly to: number
    })
  /**
   * A session's data was written by a newer deploy (`dataVersion` above this process's `knownVersion`): the session
   * goes on (identity, roles, timeouts), its data reads as empty here and cannot be changed here. Emitted per load.
   */
  | (Base & {
      readonly type: 'session.data_newer'
      readonly id: string
      readonly userId: string | null
      readonly dataVersion: number
      readonly knownVersion: number
    })
  | (Base & {
      readonly type: 'login.succeeded'
      readonly id: string
      readonly userId: string
      readonly ip?: string
    })
  | (Base & { readonly type: 'login.failed'; readonly accountHash: string; readonly ip?: string })
  | (Base & {
      readonly type: 'login.locked'
      readonly accountHash: string
      readonly ip?: string
      readonly scope: 'account' | 'ip' | 'unavailable'
      readonly retryAfter: number
    })
  | (Base & {
      readonly type: 'logout'
      readonly id: string
      readonly userId: string | null
      readonly ip?: string
    })
  | (Base & {
      readonly type: 'csrf.rejected'
      readonly reason: CsrfRejectReason
      readonly method: string
      readonly path: string
      readonly id?: string
      readonly ip?: string
    })
  | (Base & {
      readonly type: 'dbsc.registered'
      readonly id: string
      readonly userId: string
      readonly alg: 'ES256' | 'RS256'
      readonly ip?: string
    })
  | (Base & {
      readonly type: 'dbsc.refreshed'
      readonly id: string
      readonly userId: string
      readonly ip?: string
    })
  | (Base & {
      readonly type: 'dbsc.rejected'
      readonly reason: DeviceBoundRejectReason
      readonly path: string
      readonly id?: string
      readonly userId?: string | null
      readonly ip?: string
    })

/** Why a device-bound session (DBSC) request was refused. */
export type DeviceBoundRejectReason =
  | 'no_session'
  | 'already_bound'
  | 'not_bound'
  | 'session_mismatch'
  | 'proof_missing'
  | 'jwt_malformed'
  | 'key_invalid'
  | 'bad_signature'
  | 'challenge_missing'
  | 'challenge_invalid'
  | 'challenge_expired'
  | 'challenge_replayed'
  | 'bound_cookie_missing'
  | 'bound_cookie_invalid'
  | 'bound_cookie_expired'

/** Why a state-changing request failed the CSRF check. */
export type CsrfRejectReason =
  | 'cross_site'
  | 'same_site'
  | 'fetch_site_unknown'
  | 'origin_null'
  | 'origin_mismatch'
  | 'token_missing'
  | 'token_invalid'

/** Distributes `Omit<E, 'at'>` over the union so each member keeps its own fields. */
export type EventInput<E = SessionEvent> = E extends unknown ? Omit<E, 'at'> : never

export type EventListener = (event: SessionEvent) => void

/** Emits events to the listener; a throwing listener never breaks a request. */
export class EventSink {
  constructor(
    private readonly listener: EventListener | undefined,
    private readonly clock: () => number,
  ) {}

  emit(event: EventInput): void {
    if (!this.listener) return
    try {
      this.listener({ ...event, at: this.clock() } as SessionEvent)
    } catch {
      // A failing audit sink must not turn a good request into an error.
    }
  }
}
