// The per-request session handle: reads, tracked writes, login/logout/regenerate, and commit.
import { HallpassError, isHallpassError } from '../errors.ts'
import type { CreateResult, DeviceBinding, SessionData, SessionRecord } from '../stores/types.ts'
import { isTombstone } from '../stores/tombstone.ts'
import { TrackedData } from './changes.ts'
import { checkWritableData, cloneData, diffData } from './data.ts'
import { assertJsonValue, writableKeyProblem } from '../json.ts'
import { MAX_USER_AGENT_LENGTH, recordProblem } from './record-bounds.ts'
import type { IssuedToken } from '../crypto/token.ts'
import type { Carried } from './cookie-reissue.ts'
import type { Internals } from './internals.ts'
import { responseCookies } from './response-cookies.ts'
import { checkUserId, privilegesOf, type LoginOptions } from './login-options.ts'
import { grantControl } from './control.ts'
import { compareAndSwap, LOST } from './compare-and-swap.ts'
import type { CacheTicket } from './cookie-cache.ts'
import { dataVersionField, dataVersionOf, newerDataError, upgradeData } from './data-version.ts'

export type { LoginOptions }

/** What `commit()` produced: the `Set-Cookie` values to send (possibly none). */
export interface CommitResult {
  readonly cookies: string[]
}

/** Options for `commit()`. */
export interface CommitOptions {
  /**
   * `false` after an error: write nothing, and return only the cookies for an id this request already
   * issued or ended in the store (login, regenerate, logout), so a failed request never signs the user out.
   * @default true
   */
  readonly write?: boolean
}

/** Client facts recorded with a session (device list). */
export interface ClientInfo {
  readonly ip?: string | undefined
  readonly userAgent?: string | undefined
}

const MAX_UPDATE_ATTEMPTS = 100
/** What `data` reads as when a newer deploy wrote it (`isDataNewer`). */
const NO_DATA = Object.freeze({})
export { ROTATION_GRACE_MS } from './store-mode.ts'

/**
 * One request's view of its session. Data is a plain object; this handle is separate from it.
 * Writes through `set`/`delete` are persisted by `commit()` (adapters call it for you).
 */
export class Session<D extends SessionData = SessionData> {
  private record: SessionRecord | null
  private readonly tracked: TrackedData<D>
  private touchDue: boolean
  private issuedCookie: string | undefined
  private clearCookie: boolean
  /** The carried cookie brought up to the current key and attributes (same token, no store write), if out of date. */
  private reissue: string | undefined
  /** Clearing Set-Cookie values for the request's cookie where re-issuing or clearing ours does not replace it. */
  private retire: readonly string[]
  /** Something was written (or a new id issued): the sealed cookie or the cache snapshot must be re-sent. */
  private wrote = false
  /** Loaded from the store while the cookie cache is on: send a fresh snapshot. */
  private cacheStale: boolean
  /** The cookie cache's note of which writes this request's copy of the data includes. */
  private readonly cacheTicket: CacheTicket | undefined
  private readonly loadedWithRecord: boolean
  /** The request's id was rotated away by another request: it never clears or replaces the browser's newer cookie. */
  private rotatedAway: boolean
  /** `commit()` has started: the response's headers are (being) sent, so no mutation can reach the browser any more. */
  private committed = false
  /** The token a new session will be stored under: issued at its first `set()`, so `id` is known before the commit. */
  private pendingToken: IssuedToken | undefined = undefined
  /** Called once, before the first mutation of this request (see `beforeFirstChange`). */
  private changeListener: (() => void) | undefined = undefined
  /** The request pipeline's scope for this request (see `SessionControl.scopeOf`); the handle never reads it. */
  private scope: object | undefined = undefined
  /** Set when the data was upgraded on load (`migrate`) and the store still holds it at version `from`. */
  private upgrade: { readonly id: string; readonly from: number } | undefined

  static {
    grantControl({
      needsWrite: (session) => session.needsWrite,
      commitWithoutWrite: (session) => session.commitWithoutWrite(),
      commitAfterError: (session) => session.commitAfterError(),
      beforeFirstChange: (session, listener) => session.beforeFirstChange(listener),
      setAside: (session) => session.setAside(),
      scopeOf: (session) => session.scope,
      attachScope: (session, scope) => void (session.scope = scope),
    })
  }

  /** @internal Created by `sessions.load()`. */
  constructor(
    private readonly ctx: Internals<D>,
    record: SessionRecord | null,
    data: Partial<D>,
    private readonly client: ClientInfo,
    flags: {
      touchDue: boolean
      clearCookie: boolean
      fromStore: boolean
      rotatedAway?: boolean
      carried?: Carried
      /** The data was upgraded on load from this stored version: the next write stores it (data-version.ts). */
      upgradeFrom?: number
    },
  ) {
    if (record && flags.upgradeFrom !== undefined)
      this.upgrade = { id: record.id, from: flags.upgradeFrom }
    this.rotatedAway = flags.rotatedAway ?? false
    this.retire = flags.carried?.retire ?? []
    // Issued under an older key, other attributes or a previous name: re-send the same token under the current ones
    // (sealed: re-seal), with no store write.
    this.reissue = flags.carried?.reissue
    this.record = record
    this.tracked = new TrackedData(data)
    this.loadedWithRecord = record !== null
    this.touchDue = flags.touchDue
    this.clearCookie = flags.clearCookie
    this.cacheStale = flags.fromStore && ctx.cache !== undefined
    this.cacheTicket = ctx.cache?.ticket(flags.fromStore ? record : null, ctx.clock())
  }

  private get working(): Partial<D> {
    return this.tracked.data
  }

  /**
   * Public id (a hash of the token, never the token). A new session gets it at its first `set()` (or `update()`),
   * before the commit stores it under that id; null while nothing was written (no store write, no cookie).
   */
  get id(): string | null {
    return this.record?.id ?? this.pendingToken?.id ?? null
  }
  /** True when the request arrived without a live session. */
  get isNew(): boolean {
    return !this.loadedWithRecord
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
    return this.record !== null && dataVersionOf(this.record) > this.ctx.versions.current
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
    return this.record ? (this.touchDue ? this.ctx.clock() : this.record.lastSeenAt) : null
  }
  /** Absolute expiry (epoch ms), whatever the activity; null without a session. */
  get expiresAt(): number | null {
    return this.record?.expiresAt ?? null
  }
  /** When the session ends if idle from now on (epoch ms): the earlier of the idle and the absolute limit; null without a session. */
  get idleExpiresAt(): number | null {
    const seen = this.lastSeenAt
    return this.record && seen !== null
      ? Math.min(seen + this.ctx.idleFor(this.record.persistent), this.record.expiresAt)
      : null
  }

  /** True once `commit()` has started (the adapter is sending the response): every mutation then throws `SESSION_COMMITTED`. */
  get isCommitted(): boolean {
    return this.committed
  }

  /** The value of one of the data's own keys (never an inherited one such as `toString`). */
  get<K extends keyof D & string>(key: K): D[K] | undefined {
    return Object.hasOwn(this.data, key) ? this.working[key] : undefined
  }

  /**
   * Sets one key; only changed keys are written at commit, so concurrent requests never clobber each other.
   * `undefined` deletes the key. The value is checked now; the schema and `maxDataBytes` at `commit()`.
   * @throws SESSION_DATA_INVALID naming the path when the value is not plain JSON (a Date, Map, class
   * instance, BigInt, NaN...): store dates as epoch ms or ISO strings.
   * @throws SESSION_DATA_INVALID naming the key and path for a NUL character (`\u0000`) in a string or key:
   * Postgres cannot keep it, so every store refuses it.
   * @throws INVALID_ARGUMENT for a `__proto__`, `constructor` or `prototype` key, or a key with a lone surrogate or a NUL.
   * @throws SESSION_TOO_LARGE with sealed cookies, when the cookie would exceed 4096 bytes.
   * @throws SESSION_COMMITTED after `commit()` started (the change could no longer reach the browser).
   */
  set<K extends keyof D & string>(key: K, value: D[K]): void {
    this.assertOpen('set')
    this.assertDataKnown()
    const keyRefused = writableKeyProblem(key)
    if (keyRefused !== undefined) throw new HallpassError('INVALID_ARGUMENT', keyRefused)
    if (value === undefined) return this.delete(key)
    assertJsonValue(value, key)
    this.ctx.mode.assertFits(this.record, { ...this.working, [key]: value }, key)
    this.tracked.set(key, value)
    // A write that will create a session (see commit()) fixes its id now; one that will be dropped gets none.
    if (this.record === null && !this.rotatedAway) this.pendingToken ??= this.ctx.codec.issue(null)
  }

  /**
   * Removes one key (written at `commit()`).
   * @throws SESSION_COMMITTED after `commit()` started (the change could no longer reach the browser).
   */
  delete(key: keyof D & string): void {
    this.assertOpen('delete')
    this.assertDataKnown()
    this.tracked.delete(key)
  }

  /**
   * Atomic read-modify-write against the store (compare-and-swap with retry): `fn` sees the latest
   * stored data plus this request's changes, and may mutate its draft or return new data. Updates of one
   * session are serialized inside the process, so only other processes can make a round conflict.
   * @throws `SESSION_GONE` when the session ended (or was rotated) meanwhile; `SESSION_CONFLICT` after
   * 100 lost rounds; adapters answer both with a 409.
   * @throws SESSION_DATA_INVALID or SESSION_TOO_LARGE when the result fails the JSON rules, the schema or `maxDataBytes`.
   * @throws STORE_UNAVAILABLE when the store fails.
   * @throws SESSION_COMMITTED after `commit()` started (the change could no longer reach the browser).
   */
  async update(fn: (draft: Partial<D>) => Partial<D> | void): Promise<Readonly<Partial<D>>> {
    this.assertOpen('update')
    this.assertDataKnown()
    const current = this.record
    if (!current || !this.ctx.mode.recordsInStore) {
      const draft = cloneData(this.working)
      this.replaceWorking(fn(draft) ?? draft)
      return this.working
    }
    // One update per session at a time in this process: no round is lost to a sibling request here.
    return this.ctx.updates.run(current.id, () => this.updateInStore(current, fn))
  }

  /** The compare-and-swap loop of `update()`; retries only lose to other processes. */
  private async updateInStore(
    current: SessionRecord,
    fn: (draft: Partial<D>) => Partial<D> | void,
  ): Promise<Readonly<Partial<D>>> {
    const policy = {
      attempts: MAX_UPDATE_ATTEMPTS,
      what: 'update()',
      exhausted: () =>
        new HallpassError(
          'SESSION_CONFLICT',
          `update() lost ${MAX_UPDATE_ATTEMPTS} races in a row; try again`,
        ),
    }
    return compareAndSwap(policy, async () => {
      const fresh = await this.freshRecord(current.id)
      if (!fresh || isTombstone(fresh)) {
        this.forget(fresh !== null)
        throw gone()
      }
      const base = fresh.data as Partial<D>
      // At this deploy's data version (an older record is upgraded here, and the diff below stores the upgrade).
      const upgraded = (await upgradeData(this.ctx.versions, fresh)) as Partial<D>
      const draft = cloneData({ ...upgraded, ...this.tracked.pending() }) as Partial<D>
      for (const key of this.tracked.patch().unset) delete draft[key]
      const next = fn(draft) ?? draft
      await checkWritableData(this.ctx.schema, next, this.ctx.maxDataBytes)
      const now = this.ctx.clock()
      const diff = diffData(base, next)
      const result = await this.ctx.mode.patch(current, {
        ...diff,
        ...this.touchFields(current, now),
        expectVersion: fresh.version,
        dataVersion: this.ctx.versions.current,
      })
      if (result === 'conflict') return LOST
      if (result !== 'ok') {
        this.forget(result === 'rotated')
        throw gone()
      }
      this.record = {
        ...fresh,
        data: next,
        version: fresh.version + 1,
        lastSeenAt: now,
        ...dataVersionField(this.ctx.versions.current),
      }
      if (dataVersionOf(fresh) < this.ctx.versions.current) this.emitMigrated(dataVersionOf(fresh))
      this.upgrade = undefined
      this.tracked.reset(next)
      this.touchDue = false
      this.wrote = true // the cache snapshot the request came with is now stale
      this.ctx.cache?.wrote(this.cacheTicket, this.record, true, now)
      return this.working
    })
  }

  /**
   * Signs the user in: issues a new id (the old record becomes a short tombstone, so a planted id is useless),
   * indexes the session under the user, and keeps the data when the session was anonymous or the same user's.
   * The store is written now, not at commit.
   * @throws INVALID_ARGUMENT for a userId that is not a string of 1 to 256 characters, or roles/permissions past their
   * limits (either with a lone surrogate: ill-formed Unicode, which the stores would not keep exactly).
   * @throws SESSION_DATA_INVALID or SESSION_TOO_LARGE when the kept data fails the schema or `maxDataBytes`.
   * @throws STORE_UNAVAILABLE when the store fails.
   * @throws SESSION_COMMITTED after `commit()` started (the change could no longer reach the browser).
   */
  async login(userId: string, options: LoginOptions = {}): Promise<void> {
    this.assertOpen('login')
    checkUserId(userId)
    const now = this.ctx.clock()
    const persistent = options.rememberMe === true
    const keepData =
      this.record === null || this.record.userId === null || this.record.userId === userId
    await this.rotate(
      {
        userId,
        data: keepData ? this.working : {},
        // Kept data keeps its version (a newer deploy's data stays as it is); new data is at this deploy's.
        ...(keepData && this.record && { dataVersion: dataVersionOf(this.record) }),
        createdAt: now,
        expiresAt: now + (persistent ? this.ctx.rememberMeTimeout : this.ctx.absoluteTimeout),
        persistent,
        ...privilegesOf(options),
      },
      'login',
    )
    this.ctx.events.emit({
      type: 'login.succeeded',
      id: this.id as string,
      userId,
      ...(this.client.ip !== undefined && { ip: this.client.ip }),
    })
  }

  /**
   * Issues a new id for the same session (same user, data, deadlines and device binding) and deletes the old record.
   * Pass `roles`/`permissions` to change privileges in the same step (a role change must rotate the id).
   * Does nothing without a session. The store is written now, not at commit.
   *
   * A device-bound session (`deviceBound`, docs/dbsc.md) gets its new id through its device only: this request sees
   * the new privileges at once and keeps the id, every bound cookie issued so far stops working, and the browser's
   * next request refreshes with its key and receives the new id. A copied cookie jar never does.
   * @throws INVALID_ARGUMENT for roles/permissions past their limits.
   * @throws STORE_UNAVAILABLE when the store fails.
   * @throws SESSION_COMMITTED after `commit()` started (the change could no longer reach the browser).
   */
  async regenerate(privileges: Pick<LoginOptions, 'roles' | 'permissions'> = {}): Promise<void> {
    this.assertOpen('regenerate')
    const current = this.record
    if (!current) return
    const changes = privilegesOf(privileges)
    const reissue = current.device ? this.ctx.deviceReissue : undefined
    const plan = reissue && (await reissue(this, current, changes))
    if (plan && 'stage' in plan) {
      this.record = plan.stage
      return
    }
    const { id: _id, data: _data, version: _version, lastSeenAt: _seen, ...kept } = current
    await this.rotate(
      { ...kept, ...changes, ...(plan && { device: plan.device }), data: this.working },
      'regenerate',
    )
  }

  /**
   * Device-bound sessions: this request lacks the session's bound cookie, so it goes on as anonymous. Nothing is
   * written or cleared for it; `login()` starts a new session, `logout()` clears this browser's cookie. @internal
   */
  private setAside(): void {
    this.forget(true)
  }

  /**
   * Deletes the session from the store now and clears the cookie at commit.
   * @throws STORE_UNAVAILABLE when the store fails (the cookie is still cleared; `session.end_failed` is emitted).
   * @throws SESSION_COMMITTED after `commit()` started (the change could no longer reach the browser).
   */
  async destroy(): Promise<void> {
    this.assertOpen('destroy')
    await this.end('destroy')
  }

  /**
   * Ends the session everywhere it counts: store record deleted, cookie cleared, `logout` event emitted.
   * @throws STORE_UNAVAILABLE when the store fails (the cookie is still cleared; `session.end_failed` is emitted).
   * @throws SESSION_COMMITTED after `commit()` started (the change could no longer reach the browser).
   */
  async logout(): Promise<void> {
    this.assertOpen('logout')
    const id = this.record?.id ?? null // an id given at set() but never stored ends nothing
    const { userId } = this
    await this.end('logout')
    if (id !== null)
      this.ctx.events.emit({
        type: 'logout',
        id,
        userId,
        ...(this.client.ip !== undefined && { ip: this.client.ip }),
      })
  }

  /**
   * Persists what this request changed (only those keys), touches the session when the touch
   * interval has passed, and returns the `Set-Cookie` values. Safe to call more than once (later calls
   * send nothing new). From the moment it starts, every mutation throws `SESSION_COMMITTED`.
   * Adapters call it with `{ write: false }` on an error reply (see `CommitOptions`).
   * @throws SESSION_DATA_INVALID or SESSION_TOO_LARGE when the changed data fails the schema or `maxDataBytes`
   * (or, with sealed cookies, no longer fits the cookie).
   * @throws STORE_UNAVAILABLE when the store fails.
   */
  async commit(options: CommitOptions = {}): Promise<CommitResult> {
    this.committed = true
    const now = this.ctx.clock()
    const write = options.write ?? true
    if (!write) return this.commitAfterError()
    if (this.record === null) {
      // A request that raced a rotation drops its writes: a new anonymous cookie would replace the browser's newer one.
      if (this.tracked.hasSets && !this.rotatedAway) await this.createAnonymous(now)
    } else if (this.tracked.dirty || this.touchDue) {
      await this.persistChanges(this.record, now)
    }
    return this.cookiesNow(now)
  }

  /**
   * `commit()` without awaiting anything, when it has nothing to write (nothing changed, no touch due):
   * the same result, now. Undefined when the store must be written: call `commit()` then. Adapters use it
   * so a response that changed nothing is not held for a microtask.
   * @internal
   */
  private commitWithoutWrite(): CommitResult | undefined {
    if (this.needsWrite) return undefined
    this.committed = true
    return this.cookiesNow(this.ctx.clock())
  }

  /**
   * `commit({ write: false })`, which awaits nothing: after an error, only the cookie of the id this request
   * issued or ended, as the store already has it.
   * @internal
   */
  private commitAfterError(): CommitResult {
    this.committed = true
    // What login, regenerate or update() already wrote is in the store: send its cookie and a snapshot of it.
    // A record that travels in the cookie has only what the commit would have sealed: nothing is re-sent for it.
    const kept = this.ctx.mode.recordsInStore
    const reissue = kept ? this.reissue : undefined
    const issued = this.issuedCookie !== undefined || reissue !== undefined
    const wrote = issued || (this.wrote && kept)
    const { issuedCookie, clearCookie, retire } = this
    const data = this.record?.data ?? {}
    const state = {
      record: this.record,
      data,
      wrote,
      issuedCookie,
      reissue,
      cacheStale: false,
      cacheTicket: this.cacheTicket,
      clearCookie,
      retire,
    }
    return { cookies: this.sent(responseCookies(this.ctx, state, this.ctx.clock())) }
  }

  /**
   * True when `commit()` would write to the store now. It can only turn true through a mutation (every one
   * passes `assertOpen`, which calls the `beforeFirstChange` listener first) or a touch due at load.
   * @internal
   */
  private get needsWrite(): boolean {
    return this.record === null
      ? this.tracked.hasSets && !this.rotatedAway
      : this.tracked.dirty || this.touchDue
  }

  /**
   * Calls `listener` once, synchronously, before the first mutation of this request (`set`, `delete`, `update`,
   * `login`, `regenerate`, `destroy`, `logout`) runs, unless the session was committed by then. The Express
   * adapter holds the response from then on, so a request that changes nothing is never held.
   * @internal
   */
  private beforeFirstChange(listener: () => void): void {
    this.changeListener = listener
  }

  private cookiesNow(now: number): CommitResult {
    const { wrote, issuedCookie, reissue, cacheStale, clearCookie, retire } = this
    const state = {
      record: this.record,
      data: this.working,
      wrote,
      issuedCookie,
      reissue,
      cacheStale,
      cacheTicket: this.cacheTicket,
      clearCookie,
      retire,
    }
    return { cookies: this.sent(responseCookies(this.ctx, state, now)) }
  }

  /** Marks the cookies as handed to the response, so a second commit does not send them again. */
  private sent(cookies: string[]): string[] {
    this.issuedCookie = undefined
    this.reissue = undefined
    this.clearCookie = false
    this.retire = []
    this.wrote = false
    this.cacheStale = false
    return cookies
  }

  /**
   * Refuses a mutation once the commit started: its Set-Cookie could no longer reach the browser, so
   * the change would be lost (or, for an id change, sign the user out). Thrown before the store is touched.
   */
  private assertOpen(what: string): void {
    if (!this.committed) {
      const listener = this.changeListener
      if (listener) {
        this.changeListener = undefined
        listener()
      }
      return
    }
    throw new HallpassError(
      'SESSION_COMMITTED',
      `session.${what}() was called after the session was committed (the response had started): the change could not reach the browser. Change the session before the first byte of the response (before res.write(), a stream, or returning the Response).`,
    )
  }

  /** Refuses a data change on data a newer deploy wrote (`isDataNewer`): this process cannot write its shape. */
  private assertDataKnown(): void {
    if (this.isDataNewer)
      throw newerDataError(dataVersionOf(this.record as SessionRecord), this.ctx.versions.current)
  }

  /** The stored record now; null when it is gone, or out of bounds (then deleted, with a `session.rejected` event). */
  private async freshRecord(id: string): Promise<SessionRecord | null> {
    const fresh = await this.ctx.mode.read(id)
    if (fresh === null) return null
    if (fresh !== 'corrupt' && recordProblem(fresh, this.ctx.maxDataBytes) === undefined)
      return fresh
    if (fresh !== 'corrupt') await this.ctx.mode.discard(id)
    this.ctx.events.emit({
      type: 'session.rejected',
      reason: 'invalid_data',
      id,
      ...(this.client.ip !== undefined && { ip: this.client.ip }),
    })
    return null
  }

  private async persistChanges(record: SessionRecord, now: number): Promise<void> {
    const upgrade = this.upgrade?.id === record.id ? this.upgrade : undefined
    if (upgrade && this.ctx.mode.recordsInStore) return this.writeUpgrade(record)
    if (this.tracked.hasSets)
      await checkWritableData(this.ctx.schema, this.working, this.ctx.maxDataBytes)
    const patch = this.tracked.patch()
    const data = this.tracked.dirty && { dataVersion: this.ctx.versions.current }
    const result = await this.ctx.mode.patch(record, {
      ...patch,
      ...this.touchFields(record, now),
      ...data,
    })
    if (result === 'conflict') return this.afterDataRefused(record)
    if (result === 'ended' || result === 'rotated') {
      // Revoked, destroyed or rotated mid-request: never resurrect, and clear nothing for a rotation.
      this.forget(result === 'rotated')
      return
    }
    this.record = { ...record, version: record.version + 1, lastSeenAt: now }
    if (upgrade) this.emitMigrated(upgrade.from) // sealed: the re-sealed cookie carries the upgrade
    this.upgrade = undefined
    this.ctx.cache?.wrote(this.cacheTicket, this.record, false, now)
    this.tracked.reset()
    this.touchDue = false
    this.wrote = true
  }

  /**
   * Stores data upgraded on load (`migrate`) with this write, as a compare-and-swap on the whole record (like
   * `update()`), so a write an older process made since the load is upgraded too, never overwritten.
   */
  private async writeUpgrade(record: SessionRecord): Promise<void> {
    const write = (): Promise<unknown> => this.updateInStore(record, (draft) => draft)
    await this.ctx.updates.run(record.id, write).catch(ignoreGone) // gone: forgotten, like a patch's 'missing'
  }

  /**
   * The store refused a data patch for its data version (a patch without `expectVersion` cannot conflict otherwise).
   * Older than this process's: this copy was upgraded from a cache snapshot or a staged record, so the upgrade is
   * stored now, as a compare-and-swap (and so is a record upgraded meanwhile). Newer: a newer deploy upgraded the
   * record after this request loaded it, and its data cannot be written here.
   */
  private async afterDataRefused(record: SessionRecord): Promise<void> {
    const stored = await this.ctx.mode.read(record.id)
    if (stored === null || stored === 'corrupt') return this.forget()
    if (dataVersionOf(stored) <= this.ctx.versions.current) return this.writeUpgrade(record)
    throw newerDataError(dataVersionOf(stored), this.ctx.versions.current)
  }

  private async createAnonymous(now: number): Promise<void> {
    await checkWritableData(this.ctx.schema, this.working, this.ctx.maxDataBytes)
    const issued = this.pendingToken ?? this.ctx.codec.issue(null)
    const record = this.newRecord(
      issued.id,
      {
        userId: null,
        data: this.working,
        createdAt: now,
        expiresAt: now + this.ctx.absoluteTimeout,
        persistent: false,
      },
      now,
    )
    const created = await this.ctx.mode.create(record, { ttl: this.ctx.ttlFor(record, now) })
    this.adopt(record, issued.cookieValue)
    this.emitEvicted(created, null)
    this.ctx.events.emit({ type: 'session.created', id: record.id, userId: null })
  }

  private async rotate(fields: RecordFields, reason: 'login' | 'regenerate'): Promise<void> {
    // Data a newer deploy wrote is carried as it is: this process's schema does not describe it.
    if (dataVersionOf(fields) <= this.ctx.versions.current)
      await checkWritableData(this.ctx.schema, fields.data, this.ctx.maxDataBytes)
    const now = this.ctx.clock()
    const previous = this.record
    const issued = this.ctx.codec.issue(fields.userId)
    const record = this.newRecord(issued.id, fields, now)
    const created = await this.ctx.mode.create(record, {
      ttl: this.ctx.ttlFor(record, now),
      ...(previous && { replaces: previous }),
      ...(this.ctx.maxSessionsPerUser !== undefined && {
        maxPerUser: this.ctx.maxSessionsPerUser,
      }),
    })
    this.adopt(record, issued.cookieValue)
    if (previous) await this.ctx.mode.retire(previous, now)
    this.emitEvicted(created, fields.userId)
    if (previous)
      this.ctx.events.emit({
        type: 'session.regenerated',
        id: record.id,
        previousId: previous.id,
        userId: record.userId,
        reason,
      })
    else this.ctx.events.emit({ type: 'session.created', id: record.id, userId: record.userId })
  }

  /** `session.data_migrated`: this request stored the data it upgraded from version `from`. */
  private emitMigrated(from: number): void {
    const { id, userId } = this.record as SessionRecord
    const to = this.ctx.versions.current
    this.ctx.events.emit({ type: 'session.data_migrated', id, userId, from, to })
  }

  /** `session.revoked` (reason `evicted`) for every signed-in session the store ended to admit this one. */
  private emitEvicted(created: CreateResult, userId: string | null): void {
    const own = userId === null ? [] : created.evicted.map((id) => ({ id, userId }))
    for (const { id, userId: owner } of [...own, ...(created.displaced ?? [])]) {
      this.ctx.events.emit({ type: 'session.revoked', id, userId: owner, reason: 'evicted' })
    }
  }

  private async end(reason: 'destroy' | 'logout'): Promise<void> {
    const current = this.record
    if (current) {
      try {
        await this.ctx.mode.end(current, this.ctx.clock())
      } catch (err) {
        // The store is down: the record lives until its idle timeout, but this browser's cookie is cleared anyway.
        this.forget()
        this.ctx.events.emit({
          type: 'session.end_failed',
          id: current.id,
          userId: current.userId,
          reason,
          ...(this.client.ip !== undefined && { ip: this.client.ip }),
        })
        throw err
      }
      this.ctx.events.emit({
        type: 'session.destroyed',
        id: current.id,
        userId: current.userId,
        reason,
      })
    }
    this.forget()
  }

  /**
   * Drops all local state; the cookie is cleared at commit, unless the id was rotated away by another
   * request (then nothing is sent, and later writes are dropped). A later `set` otherwise starts a fresh anonymous session.
   */
  private forget(rotatedAway = false): void {
    if (rotatedAway) this.rotatedAway = true
    else
      this.clearCookie =
        this.clearCookie || this.loadedWithRecord || this.issuedCookie !== undefined
    this.record = null
    this.tracked.reset({})
    this.issuedCookie = undefined
    this.reissue = undefined
    this.pendingToken = undefined
    this.touchDue = false
  }

  private adopt(record: SessionRecord, cookieValue: string): void {
    this.record = record
    this.pendingToken = undefined
    this.tracked.reset(record.data as Partial<D>)
    this.issuedCookie = cookieValue
    this.reissue = undefined
    this.touchDue = false
    this.wrote = true
    this.ctx.cache?.wrote(this.cacheTicket, record, true, record.lastSeenAt)
  }

  private newRecord(id: string, fields: RecordFields, now: number): SessionRecord {
    return {
      ...dataVersionField(this.ctx.versions.current),
      ...fields,
      id,
      data: cloneData(fields.data),
      lastSeenAt: now,
      version: 1,
      ...this.ctx.mode.stamp(now),
      ...(this.client.ip !== undefined && { ip: this.client.ip }),
      ...(this.client.userAgent !== undefined && {
        userAgent: this.client.userAgent.slice(0, MAX_USER_AGENT_LENGTH),
      }),
    }
  }

  /**
   * Every write touches: it is the user's activity, and costs no extra write. A TTL counted from the lastSeenAt this
   * request loaded would be short if another request touched the session since (an upload loaded at T0+30 s and
   * written at T0+598 s would send 2 s), and the record (sealed cookie, cache snapshot) would carry the old time.
   */
  private touchFields(record: SessionRecord, now: number): { lastSeenAt: number; ttl: number } {
    return { lastSeenAt: now, ttl: this.ctx.ttlFor({ ...record, lastSeenAt: now }, now) }
  }

  /** Makes the data equal to `next` through `set`/`delete`, so every key is checked and tracked. */
  private replaceWorking(next: Partial<D>): void {
    const diff = diffData(this.working, next)
    for (const key of diff.unset) this.delete(key as keyof D & string)
    for (const [key, value] of Object.entries(diff.set))
      this.set(key as keyof D & string, value as D[keyof D & string])
  }
}

/** A commit that finds its session gone has already forgotten it (see `forget`): nothing to report. */
function ignoreGone(err: unknown): void {
  if (!isHallpassError(err, 'SESSION_GONE')) throw err
}

function gone(): HallpassError {
  return new HallpassError(
    'SESSION_GONE',
    'the session was destroyed, revoked or rotated by another request while this request ran',
  )
}

type RecordFields = Omit<SessionRecord, 'id' | 'version' | 'lastSeenAt' | 'ip' | 'userAgent'>
