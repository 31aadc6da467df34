// The public per-request `Session`: tracked writes, update, login/regenerate/logout and commit, moving one `SessionState`.
import { HallpassError } from '../errors.ts'
import { assertJsonValue, writableKeyProblem } from '../json.ts'
import type { SessionData, SessionRecord } from '../stores/types.ts'
import { grantControl } from './control.ts'
import { checkWritableData, cloneData, diffData } from './data.ts'
import { dataVersionOf, newerDataError } from './data-version.ts'
import type { Internals } from './internals.ts'
import { checkUserId, privilegesOf, type LoginOptions } from './login-options.ts'
import { responseCookies } from './response-cookies.ts'
import * as next from './session-state.ts'
import { SessionView, type SessionStart } from './session-view.ts'
import {
  asIs,
  createRecord,
  endRecord,
  ipField,
  migrated,
  retireRecord,
  updateRound,
  writeChanges,
  type ClientInfo,
  type RecordFields,
} from './session-writes.ts'

export type { ClientInfo, LoginOptions, SessionStart }

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

/**
 * One request's view of its session. Data is a plain object; this handle is separate from it.
 * Writes through `set`/`delete` are persisted by `commit()` (adapters call it for you).
 */
export class Session<D extends SessionData = SessionData> extends SessionView<D> {
  /** Called once, before the first mutation of this request (see `SessionControl.beforeFirstChange`). */
  private changeListener: (() => void) | undefined = undefined
  /** The request pipeline's scope for this request (see `SessionControl.scopeOf`); the handle never reads it. */
  private scope: object | undefined = undefined

  static {
    grantControl({
      needsWrite: (session) => session.needsWrite,
      commitWithoutWrite: (session) =>
        session.needsWrite ? undefined : session.cookiesNow(session.ctx.clock(), false),
      commitAfterError: (session) => session.cookiesNow(session.ctx.clock(), true),
      beforeFirstChange: (session, listener) => void (session.changeListener = listener),
      setAside: (session) => session.forget('rotated'),
      scopeOf: (session) => session.scope,
      attachScope: (session, scope) => void (session.scope = scope),
    })
  }

  /** @internal Created by `sessions.load()`. */
  constructor(ctx: Internals<D>, start: SessionStart<D>) {
    super(ctx, start)
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
    this.ctx.mode.assertFits(this.record, this.working, key, value)
    this.tracked.set(key, value)
    // A write that will create a session (see commit()) fixes its id now; one that will be dropped gets none.
    const { held } = this.state
    if (held.kind === 'none' && !held.token)
      this.state = next.withToken(this.state, this.ctx.codec.issue(null))
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
    const outcome = current ? await this.updateRecord(current, fn) : 'local'
    if (outcome === 'local') {
      const draft = cloneData(this.working)
      this.replaceWorking(fn(draft) ?? draft)
    } else if (outcome === 'gone') {
      throw new HallpassError(
        'SESSION_GONE',
        'the session was destroyed, revoked or rotated by another request while this request ran',
      )
    }
    return this.working
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
    const owner = this.record?.userId ?? null
    const keepData = owner === null || owner === userId
    const fields: RecordFields = {
      userId,
      data: keepData ? this.working : {},
      // Kept data keeps its version (a newer deploy's data stays as it is); new data is at this deploy's.
      ...(keepData && this.record && { dataVersion: dataVersionOf(this.record) }),
      createdAt: now,
      expiresAt: now + (persistent ? this.ctx.rememberMeTimeout : this.ctx.absoluteTimeout),
      persistent,
      ...privilegesOf(options),
    }
    await this.rotate(fields, 'login')
    const id = this.id as string
    this.ctx.events.emit({ type: 'login.succeeded', id, userId, ...ipField(this.client) })
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
      this.state = next.staged(this.state, plan.stage)
      return
    }
    const { id: _id, data: _data, version: _version, lastSeenAt: _seen, ...kept } = current
    const device = plan && { device: plan.device }
    await this.rotate({ ...kept, ...changes, ...device, data: this.working }, 'regenerate')
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
    const ended = this.record // an id given at set() but never stored ends nothing
    await this.end('logout')
    if (ended) {
      const { id, userId } = ended
      this.ctx.events.emit({ type: 'logout', id, userId, ...ipField(this.client) })
    }
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
    this.state = next.committing(this.state)
    const now = this.ctx.clock()
    if (options.write === false) return this.cookiesNow(now, true)
    const { held } = this.state
    if (held.kind === 'none' && this.tracked.hasSets) {
      // A request that raced a rotation holds `rotated` and drops its writes: a new cookie would replace the newer one.
      const fields = { userId: null, data: this.working, createdAt: now, persistent: false }
      const expiresAt = now + this.ctx.absoluteTimeout
      const token = held.token
      const made = await createRecord(this.writer, { ...fields, expiresAt }, token ? { token } : {})
      this.adopt(made.record, made.cookieValue)
    } else if (held.kind === 'live' && (this.tracked.dirty || held.touchDue)) {
      await this.persistChanges(held, now)
    }
    return this.cookiesNow(now, false)
  }

  /**
   * True when `commit()` would write to the store now. It can only turn true through a mutation (every one
   * passes `assertOpen`, which calls the `beforeFirstChange` listener first) or a touch due at load.
   */
  private get needsWrite(): boolean {
    const { held } = this.state
    if (held.kind === 'live') return this.tracked.dirty || held.touchDue
    return held.kind === 'none' && this.tracked.hasSets
  }

  /**
   * The cookies for the response, marked as sent so a second commit does not send them again. After an error
   * (`afterError`) the commit wrote nothing: only what the store already has, the record as stored.
   */
  private cookiesNow(now: number, afterError: boolean): CommitResult {
    this.state = next.committing(this.state)
    const data = afterError ? (this.record?.data ?? {}) : this.working
    const input = { state: this.state, data, ticket: this.ticket, afterError }
    const cookies = responseCookies(this.ctx, input, now)
    this.state = next.sent(this.state)
    return { cookies }
  }

  /**
   * Refuses a mutation once the commit started: its Set-Cookie could no longer reach the browser, so
   * the change would be lost (or, for an id change, sign the user out). Thrown before the store is touched.
   */
  private assertOpen(what: string): void {
    if (!this.state.committed) {
      const listener = this.changeListener
      this.changeListener = undefined
      listener?.()
      return
    }
    throw new HallpassError(
      'SESSION_COMMITTED',
      `session.${what}() was called after the session was committed (the response had started): the change could not reach the browser. Change the session before the first byte of the response (before res.write(), a stream, or returning the Response).`,
    )
  }

  /**
   * Refuses a data change on data a newer deploy wrote (`isDataNewer`): this process cannot write its shape.
   * @throws SESSION_CONFLICT (a 409: retry).
   */
  private assertDataKnown(): void {
    const { record } = this
    if (record && this.isDataNewer)
      throw newerDataError(dataVersionOf(record), this.ctx.versions.current)
  }

  /**
   * `update()`'s compare-and-swap through the mode: the handle takes the record the store now holds (reporting a data
   * upgrade it stored), or forgets a session that is gone. `local` when the record travels in the cookie.
   */
  private async updateRecord(
    current: SessionRecord,
    fn: (draft: Partial<D>) => Partial<D> | void,
  ): Promise<'stored' | 'local' | 'gone'> {
    const outcome = await this.ctx.mode.update(current, updateRound(this.writer, this.tracked, fn))
    if (outcome === 'local') return 'local'
    if (typeof outcome === 'object') {
      const { stored, previous } = outcome
      this.state = next.written(this.state, stored)
      const from = dataVersionOf(previous)
      if (from < this.ctx.versions.current) migrated(this.writer, stored, from)
      this.tracked.reset(stored.data as Partial<D>)
      this.ctx.cache?.wrote(this.ticket, stored, 'exact', stored.lastSeenAt)
      return 'stored'
    }
    if (outcome === 'invalid') this.rejected(current.id)
    this.forget(outcome === 'rotated' ? 'rotated' : 'ended')
    return 'gone'
  }

  private async persistChanges(held: next.Live, now: number): Promise<void> {
    const { record, upgradeFrom } = held
    // Data upgraded on load is stored by a compare-and-swap of the whole record (like `update()`), so a write an
    // older process made since the load is upgraded too, never overwritten; gone: forgotten, like a patch's. `local`
    // (the record travels in the cookie): the patch below re-seals it.
    if (upgradeFrom !== undefined && (await this.updateRecord(record, asIs)) !== 'local') return
    if (this.tracked.hasSets)
      await checkWritableData(this.ctx.schema, this.working, this.ctx.maxDataBytes)
    const result = await writeChanges(this.writer, record, this.tracked.patch(), now)
    // The store refused the data patch for its data version (a patch without `expectVersion` cannot conflict
    // otherwise). Older than this deploy's: this copy was upgraded from a cache snapshot or a staged record, so the
    // upgrade is stored now, as a compare-and-swap. Newer: a newer deploy upgraded the record after this request
    // loaded it, and the round throws SESSION_CONFLICT (its data cannot be written here).
    if (result === 'conflict') return void (await this.updateRecord(record, asIs))
    // Revoked, destroyed or rotated mid-request: never resurrect, and clear nothing for a rotation.
    if (result === 'ended' || result === 'rotated') return this.forget(result)
    const stored = { ...record, version: record.version + 1, lastSeenAt: now }
    this.state = next.written(this.state, stored)
    if (upgradeFrom !== undefined) migrated(this.writer, stored, upgradeFrom) // the re-sealed cookie carries it
    this.ctx.cache?.wrote(this.ticket, stored, 'merged', now)
    this.tracked.reset()
  }

  /** Login or regenerate: a new record under a new id, adopted before the old id is retired (the new one must reach the browser). */
  private async rotate(fields: RecordFields, reason: 'login' | 'regenerate'): Promise<void> {
    const previous = this.record
    const made = await createRecord(this.writer, fields, { previous })
    this.adopt(made.record, made.cookieValue)
    if (previous) await retireRecord(this.writer, previous, made.record, reason)
  }

  private async end(reason: 'destroy' | 'logout'): Promise<void> {
    const current = this.record
    try {
      if (current) await endRecord(this.writer, current, reason)
    } finally {
      // Cleared even when the store is down: the record lives until its idle timeout, but not in this browser.
      this.forget('ended')
    }
  }

  /** The session is gone for this request (see `gone` in session-state.ts); a later `set` starts a new one. */
  private forget(how: 'ended' | 'rotated'): void {
    this.state = next.gone(this.state, how)
    this.tracked.reset({})
  }

  private adopt(record: SessionRecord, cookieValue: string): void {
    this.state = next.issued(this.state, record, cookieValue)
    this.tracked.reset(record.data as Partial<D>)
    this.ctx.cache?.wrote(this.ticket, record, 'exact', record.lastSeenAt)
  }

  /** `session.rejected` for a stored record refused as out of bounds (it was discarded). */
  private rejected(id: string | undefined): void {
    const event = { type: 'session.rejected', reason: 'invalid_data' } as const
    this.ctx.events.emit({ ...event, ...(id !== undefined && { id }), ...ipField(this.client) })
  }

  /** Makes the data equal to `next` through `set`/`delete`, so every key is checked and tracked. */
  private replaceWorking(data: Partial<D>): void {
    const diff = diffData(this.working, data)
    for (const key of diff.unset) this.delete(key as keyof D & string)
    for (const [key, value] of Object.entries(diff.set))
      this.set(key as keyof D & string, value as D[keyof D & string])
  }
}
