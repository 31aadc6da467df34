// The session manager: verifies cookies, loads records, enforces timeouts, and lists or revokes a user's sessions.
import type { KeyRing } from '../crypto/keyring.ts'
import { configError } from '../errors.ts'
import { isSessionId, TokenCodec } from '../crypto/token.ts'
import type { SessionData, SessionRecord, Store } from '../stores/types.ts'
import { readSessionCookie, type ResolvedCookieOptions } from './cookies.ts'
import { CookieReissue, type Carried } from './cookie-reissue.ts'
import { dataVersionField, loadData, type LoadedData } from './data-version.ts'
import { describeDevice } from './device.ts'
import { EventSink, type EventInput, type RejectReason } from './events.ts'
import type { Internals } from './internals.ts'
import { checkUserId } from './login-options.ts'
import { recordProblem, RecordBounds } from './record-bounds.ts'
import { resolveOptions, type ResolvedOptions, type SessionsOptions } from './options.ts'
import type { SessionMode } from './mode.ts'
import { StoreMode } from './store-mode.ts'
import { Session, type ClientInfo } from './session.ts'
import { anonymousState, loadedState, type SessionState } from './session-state.ts'
import type { SessionTelemetry } from './telemetry.ts'
import { DeviceBound, type DeviceBoundServer } from '../dbsc/device-bound.ts'

/** What `load()` needs from the request. */
export interface LoadInput extends ClientInfo {
  /** The raw `Cookie` request header. */
  readonly cookie?: string | null | undefined
}

/** One entry of `listSessions()`: what a "your devices" page shows. */
export interface SessionInfo {
  /** Public id (a hash, never the token): pass it to `revokeSession`. */
  readonly id: string
  readonly userId: string
  /** Epoch ms. */
  readonly createdAt: number
  /** Epoch ms of the last activity (updated at most once per `touchInterval`). */
  readonly lastSeenAt: number
  /** Epoch ms of the absolute expiry. */
  readonly expiresAt: number
  /** Epoch ms when the session ends if idle from now on (the earlier of the idle and the absolute limit). */
  readonly idleExpiresAt: number
  /** True for a remember-me session. */
  readonly persistent: boolean
  /** The client address when this id was issued (login, regenerate), or null. */
  readonly ip: string | null
  /** The User-Agent when this id was issued (at most 512 characters), or null. */
  readonly userAgent: string | null
  /** A short label such as "Firefox on Linux". */
  readonly device: string
  /** True when the browser registered a device key (DBSC): a copied cookie does not work elsewhere. */
  readonly deviceBound: boolean
}

/**
 * Creates the session manager. Bad configuration throws `HallpassError` with code `CONFIG_INVALID`. One
 * exception: a missing `secret` while `next build` runs gives a manager whose every use throws that error
 * instead (the build evaluates the session module without the runtime secret; docs/frameworks.md).
 *
 * @example
 * ```ts
 * import { createSessions } from 'hallpass'
 * const sessions = createSessions({ secret: process.env.SESSION_SECRET!, idleTimeout: '30m', absoluteTimeout: '24h' })
 * ```
 */
export function createSessions<D extends SessionData = SessionData>(
  options: SessionsOptions<D>,
): Sessions<D> {
  return new Sessions(resolveOptions(options))
}

/** Each manager's key ring, kept off the public class: only the features that derive their own keys read it. */
const keyRings = new WeakMap<object, KeyRing>()

/** @internal The key ring of a manager, for features that derive their own keys (CSRF tokens, throttle hashing). */
export function keyRingOf<D extends SessionData>(sessions: Sessions<D>): KeyRing {
  const ring = keyRings.get(assertSessions(sessions, 'this feature'))
  return ring as KeyRing // every Sessions has one (set in its constructor)
}

/**
 * @internal `value` itself when it is a manager from this copy's createSessions(); else CONFIG_INVALID saying why:
 * not a manager at all, or one from a second copy of hallpass (a bundler that bundled it twice, or a manager
 * cached on globalThis by another build), whose managers this copy cannot read.
 */
export function assertSessions<D extends SessionData>(
  value: Sessions<D>,
  user: string,
): Sessions<D> {
  if (value instanceof Sessions) return value
  const looksLikeOne =
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'load') === 'function'
  return configError(
    looksLikeOne
      ? `${user} was given a sessions manager from another copy of hallpass: two copies are loaded (a bundler ` +
          `bundled hallpass twice, or the manager was cached on globalThis by another build). Create the manager ` +
          `in one module of the app, import it from there, and do not cache it on globalThis`
      : `${user} needs the manager that createSessions() returns (got ${describe(value)})`,
  )
}

/** A short description of a value for an error message: its type, never its contents. */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  return Object.keys(value).length === 0 ? 'an empty object' : 'an object that is not one'
}

/** Each manager's telemetry, when `createSessions({ telemetry })` turned it on. */
const telemetries = new WeakMap<object, SessionTelemetry>()

/** @internal The telemetry the request pipeline traces each request's load and commit with; undefined when off. */
export function telemetryOf<D extends SessionData>(
  sessions: Sessions<D>,
): SessionTelemetry | undefined {
  return telemetries.get(sessions)
}

/** The manager returned by `createSessions`. Framework adapters wrap it; you can also call it directly. */
export class Sessions<D extends SessionData = SessionData> {
  private readonly ctx: Internals<D>
  private readonly config: ResolvedOptions<D>
  private readonly dbsc: DeviceBound | undefined
  /** How a cookie under an older key, other attributes or a previous name is brought up to date. */
  private readonly reissue: CookieReissue
  /** The load path's record bounds, checked once per stored version where the store allows. */
  private readonly bounds: RecordBounds

  /** @internal Use `createSessions()`. */
  constructor(config: ResolvedOptions<D>) {
    this.config = config
    this.reissue = new CookieReissue(config.cookie, config.cache !== undefined)
    this.bounds = new RecordBounds(config.maxDataBytes)
    keyRings.set(this, config.keys)
    if (config.telemetry) telemetries.set(this, config.telemetry)
    const idleFor = (persistent: boolean): number =>
      persistent ? config.rememberMeIdleTimeout() : config.idleTimeout()
    const codec = new TokenCodec(config.keys, this.reissue.code)
    const mode: SessionMode =
      config.sealed ?? new StoreMode(config.store, codec, config.cache, config.clock, this.bounds)
    this.ctx = {
      store: config.store,
      codec,
      mode,
      cache: config.cache,
      events: new EventSink(config.onEvent, config.clock),
      schema: config.schema,
      versions: config.dataVersions,
      cookie: config.cookie,
      clock: config.clock,
      absoluteTimeout: config.absoluteTimeout,
      rememberMeTimeout: config.rememberMeTimeout,
      maxSessionsPerUser: config.maxSessionsPerUser,
      maxDataBytes: config.maxDataBytes,
      idleFor,
      ttlFor: (record, now, lastSeenAt = record.lastSeenAt) =>
        Math.max(1, Math.min(lastSeenAt + idleFor(record.persistent), record.expiresAt) - now),
    }
    const ctx: Internals<SessionData> = this.ctx
    const dbsc = config.deviceBound && new DeviceBound(config.deviceBound, ctx, config.keys)
    this.dbsc = dbsc
    if (dbsc)
      this.ctx.deviceReissue = (handle, record, changes) => dbsc.reissue(handle, record, changes)
  }

  /** The device-bound session (DBSC) server when `deviceBound` is on; adapters call it, and so can an app without one (docs/dbsc.md). */
  get deviceBound(): DeviceBoundServer | undefined {
    return this.dbsc
  }

  /** The store behind this manager. */
  get store(): Store {
    return this.config.store
  }
  /** The resolved cookie attributes (name, secure...). */
  get cookie(): ResolvedCookieOptions {
    return this.config.cookie
  }
  /** The clock in use. */
  get clock(): () => number {
    return this.config.clock
  }

  /**
   * Checks that the store answers (for `/healthz`): resolves, or rejects with STORE_UNAVAILABLE.
   * In sealed mode it checks the revocation store, if there is one.
   * @throws STORE_UNAVAILABLE when the store does not answer.
   */
  async ping(): Promise<void> {
    this.assertUsable()
    await this.ctx.mode.ping()
  }

  /** Sends an event to `onEvent` (used by CSRF, throttling and your own audit points). Never throws. */
  emit(event: EventInput): void {
    this.ctx.events.emit(event)
  }

  /**
   * Loads the request's session. Any cookie that fails verification gives an anonymous session:
   * no error, and no store lookup for a forged value.
   * @throws STORE_UNAVAILABLE when the store fails (adapters answer 503).
   */
  async load(input: LoadInput = {}): Promise<Session<D>> {
    this.assertUsable()
    const client: ClientInfo = { ip: input.ip, userAgent: input.userAgent }
    const lookup = readSessionCookie(
      input.cookie,
      this.config.cookie.name,
      this.config.previousCookieNames,
    )
    if (lookup.problem) {
      const reason = lookup.problem === 'duplicate' ? 'duplicate_cookie' : 'lookalike_cookie'
      return this.anonymous(client, anonymousState(false), { reason })
    }
    if (lookup.value === undefined) return this.anonymous(client, anonymousState(false))
    const opened = await this.ctx.mode.open(lookup, input.cookie, this.reissue)
    if (!('rejected' in opened)) return this.accept(opened.record, client, opened)
    const state = anonymousState(opened.clear, opened.rotatedAway ? 'rotated' : 'none')
    return this.anonymous(client, state, { reason: opened.rejected, id: opened.id })
  }

  /** A manager created by `next build` without a secret refuses every use with CONFIG_INVALID (core/build-phase.ts). */
  private assertUsable(): void {
    if (this.config.unusable) throw this.config.unusable
  }

  /**
   * Shared tail of every load: shape and schema checks, then the server-side idle and absolute limits.
   * `carried`: what the response does about the request's cookie (re-issued, same token and no store write, when it
   * came under an older key, other attributes or a previous name).
   */
  private accept(
    record: SessionRecord,
    client: ClientInfo,
    opened: { readonly fromStore: boolean; readonly carried: Carried },
  ): Session<D> | Promise<Session<D>> {
    if (this.bounds.problem(record) !== undefined) return this.refuse(record, client, opened)
    // Synchronous for data at this version with no async schema: no promise on the common load.
    const loaded = loadData(this.ctx.versions, this.config.schema, record)
    return loaded instanceof Promise
      ? loaded.then((data) => this.acceptData(record, client, opened, data))
      : this.acceptData(record, client, opened, loaded)
  }

  /** `accept` once the data is loaded: refused, expired, or the live session. */
  private acceptData(
    record: SessionRecord,
    client: ClientInfo,
    opened: { readonly fromStore: boolean; readonly carried: Carried },
    loaded: LoadedData<Partial<D>>,
  ): Session<D> | Promise<Session<D>> {
    if ('issues' in loaded) return this.refuse(record, client, opened)
    const { fromStore, carried } = opened
    const now = this.config.clock()
    const expiry = this.expiryOf(record, now)
    if (expiry) return this.expire(record, client, carried, expiry)
    const touchDue = now - record.lastSeenAt >= this.config.touchInterval
    const cacheStale = fromStore && this.ctx.cache !== undefined
    const ticket = this.ctx.cache?.ticket(fromStore ? record : null, now)
    const load = { touchDue, cacheStale, carried }
    if ('newer' in loaded) {
      // A newer deploy wrote the data: the session goes on, and its data is kept as it is (session.isDataNewer).
      const { id, userId } = record
      const knownVersion = this.ctx.versions.current
      this.ctx.events.emit({
        type: 'session.data_newer',
        id,
        userId,
        dataVersion: loaded.newer,
        knownVersion,
      })
      const state = loadedState(record, load)
      return new Session(this.ctx, { state, data: record.data as Partial<D>, client, ticket })
    }
    // Upgraded in memory (`from`): the handle holds the data at this version; its next write stores it (session.ts).
    const { data, from } = loaded
    const held =
      from === undefined
        ? record
        : { ...record, data, ...dataVersionField(this.ctx.versions.current) }
    const state = loadedState(held, from === undefined ? load : { ...load, upgradeFrom: from })
    return new Session(this.ctx, { state, data, client, ticket })
  }

  /** A loaded record out of bounds or failing the schema: discarded, and the request is anonymous. */
  private async refuse(
    record: SessionRecord,
    client: ClientInfo,
    { carried }: { readonly carried: Carried },
  ): Promise<Session<D>> {
    await this.discard(record.id)
    return this.anonymous(client, anonymousState(carried), {
      reason: 'invalid_data',
      id: record.id,
    })
  }

  /** A loaded record past its idle or absolute limit: discarded, `session.expired`, and the request is anonymous. */
  private async expire(
    record: SessionRecord,
    client: ClientInfo,
    carried: Carried,
    reason: 'idle' | 'absolute',
  ): Promise<Session<D>> {
    await this.discard(record.id)
    this.ctx.events.emit({ type: 'session.expired', id: record.id, userId: record.userId, reason })
    return this.anonymous(client, anonymousState(carried))
  }

  /**
   * The user's live sessions, most recently active first.
   * @throws INVALID_ARGUMENT for a userId `login()` would refuse (empty, over 256 characters, a lone surrogate).
   * @throws NOT_SUPPORTED with sealed cookies (there is no server-side list).
   * @throws STORE_UNAVAILABLE when the store fails.
   */
  async listSessions(userId: string): Promise<SessionInfo[]> {
    this.assertUsable()
    checkUserId(userId, 'listSessions()')
    const records = await this.ctx.mode.listByUser(userId)
    const now = this.config.clock()
    return (
      records
        // A record load() would refuse as corrupt is not a device the user can sign in with: leave it out too.
        .filter(
          (record) =>
            record.userId === userId &&
            !this.expiryOf(record, now) &&
            recordProblem(record, this.config.maxDataBytes) === undefined,
        )
        .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
        .map((record) => ({
          id: record.id,
          userId,
          createdAt: record.createdAt,
          lastSeenAt: record.lastSeenAt,
          expiresAt: record.expiresAt,
          idleExpiresAt: Math.min(
            record.lastSeenAt + this.ctx.idleFor(record.persistent),
            record.expiresAt,
          ),
          persistent: record.persistent,
          ip: record.ip ?? null,
          userAgent: record.userAgent ?? null,
          device: describeDevice(record.userAgent),
          deviceBound: record.device !== undefined,
        }))
    )
  }

  /**
   * Revokes one of the user's sessions by public id. False when the id is unknown, malformed or another user's.
   * @throws INVALID_ARGUMENT for a userId `login()` would refuse (empty, over 256 characters, a lone surrogate).
   * @throws NOT_SUPPORTED with sealed cookies.
   * @throws STORE_UNAVAILABLE when the store fails.
   */
  async revokeSession(userId: string, id: string): Promise<boolean> {
    this.assertUsable()
    checkUserId(userId, 'revokeSession()')
    const ids = await this.ctx.mode.revokeOne(userId, isSessionId(id) ? id : undefined)
    this.revoked(userId, ids)
    return ids.length === 1
  }

  /**
   * Revokes all of the user's sessions ("log out everywhere"), optionally keeping one (`except`: a public id);
   * returns how many. With sealed cookies it needs `sealedCookies({ revocation })`, takes no `except`, and returns 0.
   * @throws INVALID_ARGUMENT for a userId `login()` would refuse (empty, over 256 characters, a lone surrogate).
   * @throws NOT_SUPPORTED with sealed cookies and no revocation store, or with `except`.
   * @throws STORE_UNAVAILABLE when the store fails.
   */
  async revokeUserSessions(
    userId: string,
    options: { except?: string | null | undefined } = {},
  ): Promise<number> {
    this.assertUsable()
    checkUserId(userId, 'revokeUserSessions()')
    const { ids, count } = await this.ctx.mode.revokeAll(userId, options.except)
    this.revoked(userId, ids)
    return count
  }

  /** `session.revoked` for each id a revoke call ended (`*`: every session of the user). */
  private revoked(userId: string, ids: readonly string[]): void {
    for (const id of ids)
      this.ctx.events.emit({ type: 'session.revoked', id, userId, reason: 'revoke' })
  }

  /** A handle without a session (`state`, see `anonymousState`), with `session.rejected` when a cookie was refused. */
  private anonymous(
    client: ClientInfo,
    state: SessionState,
    rejected?: { readonly reason: RejectReason; readonly id?: string | undefined },
  ): Session<D> {
    if (rejected)
      this.ctx.events.emit({
        type: 'session.rejected',
        reason: rejected.reason,
        ...(rejected.id !== undefined && { id: rejected.id }),
        ...(client.ip !== undefined && { ip: client.ip }),
      })
    const ticket = this.ctx.cache?.ticket(null, this.config.clock())
    return new Session(this.ctx, { state, data: {}, client, ticket })
  }

  private expiryOf(record: SessionRecord, now: number): 'idle' | 'absolute' | undefined {
    if (now >= record.expiresAt) return 'absolute'
    if (now >= record.lastSeenAt + this.ctx.idleFor(record.persistent)) return 'idle'
    return undefined
  }

  /** Deletes a dead record; a failure here must not turn a logged-out request into an error. */
  private async discard(id: string): Promise<void> {
    await this.ctx.mode.discard(id)
  }
}
