// The read side of the session handle: what a request sees of its session, read from its one `SessionState`.
import type { DeviceBinding, SessionData, SessionRecord } from '../stores/types.ts'
import { TrackedData } from './changes.ts'
import type { CacheTicket } from './cookie-cache.ts'
import type { Internals } from './internals.ts'
import { dataVersionOf } from './data-version.ts'
import { liveRecord, type SessionState } from './session-state.ts'
import type { ClientInfo, Writer } from './session-writes.ts'

/** What `data` reads as when a newer deploy wrote it (`isDataNewer`). */
const NO_DATA = Object.freeze({})

/** What the manager hands a new handle: its state, data, client facts and cookie cache ticket (not for apps). */
export interface SessionStart<D extends SessionData> {
  readonly state: SessionState
  readonly data: Partial<D>
  readonly client: ClientInfo
  readonly ticket: CacheTicket | undefined
}

/** The getters of `Session` (session.ts adds the writes). Apps use `Session`; this base is not exported. */
export abstract class SessionView<D extends SessionData> {
  /** @internal */
  protected state: SessionState
  /** @internal */
  protected readonly tracked: TrackedData<D>
  /** @internal */
  protected readonly client: ClientInfo
  /** @internal What the writes in `session-writes.ts` need: the manager's internals and the client facts. */
  protected readonly writer: Writer
  /** @internal The cookie cache's note of which writes this request's copy of the data includes. */
  protected readonly ticket: CacheTicket | undefined
  /**
   * @internal The manager's internals. A field, not a constructor parameter property: stripInternal removes the
   * constructor's doc but keeps such a property, whose type (`Internals`, itself internal) a consumer could not resolve.
   */
  protected readonly ctx: Internals<D>

  /** @internal */
  constructor(ctx: Internals<D>, start: SessionStart<D>) {
    this.ctx = ctx
    this.state = start.state
    this.tracked = new TrackedData(start.data)
    this.client = start.client
    this.writer = { ctx, client: start.client }
    this.ticket = start.ticket
  }

  /** @internal */
  protected get record(): SessionRecord | null {
    return liveRecord(this.state)
  }
  /** @internal */
  protected get working(): Partial<D> {
    return this.tracked.data
  }

  /**
   * Public id (a hash of the token, never the token). A new session gets it at its first `set()` (or `update()`),
   * before the commit stores it under that id; null while nothing was written (no store write, no cookie).
   */
  get id(): string | null {
    const { held } = this.state
    return held.kind === 'live'
      ? held.record.id
      : held.kind === 'none'
        ? (held.token?.id ?? null)
        : null
  }
  /** True when the request arrived without a live session. */
  get isNew(): boolean {
    return !this.state.loaded
  }
  /** The signed-in user's id, or null for an anonymous session. */
  get userId(): string | null {
    return this.record?.userId ?? null
  }
  /** The client address recorded for this request (the adapter applies its `trustProxy` rule). */
  get ip(): string | undefined {
    return this.client.ip
  }
  /** True when a user is signed in (`userId` is not null). */
  get isAuthenticated(): boolean {
    return this.userId !== null
  }
  /** The data, including this request's changes. Treat it as read-only: write with `set` or `update`. `{}` when `isDataNewer`. */
  get data(): Readonly<Partial<D>> {
    return this.isDataNewer ? (NO_DATA as Readonly<Partial<D>>) : this.working
  }
  /**
   * True when a newer deploy wrote this session's data (a higher `dataVersion`, during a rolling deploy): the session
   * goes on (user, roles, timeouts), but here its data reads as `{}` and `set`, `delete` and `update` throw
   * `SESSION_CONFLICT` (a 409: retry); the data is kept as it is, through login and regenerate too.
   */
  get isDataNewer(): boolean {
    const { record } = this
    return record !== null && dataVersionOf(record) > this.ctx.versions.current
  }
  /** Roles given at `login()` or `regenerate()`, kept server-side. @default [] */
  get roles(): readonly string[] {
    return this.record?.roles ?? []
  }
  /** Permissions given at `login()` or `regenerate()`, kept server-side. @default [] */
  get permissions(): readonly string[] {
    return this.record?.permissions ?? []
  }
  /** The device binding (DBSC public key) when this session's browser registered one. */
  get deviceBinding(): DeviceBinding | undefined {
    return this.record?.device
  }
  /** True for a remember-me session (a persistent cookie, and the `rememberMe...` timeouts). */
  get persistent(): boolean {
    return this.record?.persistent ?? false
  }
  /** When the session was created (epoch ms; kept across `regenerate()`), or null without a session. */
  get createdAt(): number | null {
    return this.record?.createdAt ?? null
  }
  /** The last activity the idle timeout counts from (epoch ms): now when this request touches the session, or null without a session. */
  get lastSeenAt(): number | null {
    const { held } = this.state
    if (held.kind !== 'live') return null
    return held.touchDue ? this.ctx.clock() : held.record.lastSeenAt
  }
  /** Absolute expiry (epoch ms), whatever the activity; null without a session. */
  get expiresAt(): number | null {
    return this.record?.expiresAt ?? null
  }
  /** When the session ends if idle from now on (epoch ms): the earlier of the idle and the absolute limit; null without a session. */
  get idleExpiresAt(): number | null {
    const { record, lastSeenAt: seen } = this
    return record && seen !== null
      ? Math.min(seen + this.ctx.idleFor(record.persistent), record.expiresAt)
      : null
  }
  /** True once `commit()` has started (the adapter is sending the response): every mutation then throws `SESSION_COMMITTED`. */
  get isCommitted(): boolean {
    return this.state.committed
  }

  /** The value of one of the data's own keys (never an inherited one such as `toString`). */
  get<K extends keyof D & string>(key: K): D[K] | undefined {
    return Object.hasOwn(this.data, key) ? this.working[key] : undefined
  }
}
