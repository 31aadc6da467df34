// Store mode: the cookie holds a MAC'd token, the record lives in a Store (optionally cached in a sealed cookie).
import { isSessionId, type TokenCodec } from '../crypto/token.ts'
import { HallpassError } from '../errors.ts'
import { failClosed } from '../fail-closed.ts'
import { isTombstone, ROTATION_GRACE_MS } from '../stores/tombstone.ts'
import type { CreateResult, SessionPatch, SessionRecord, Store } from '../stores/types.ts'
import { compareAndSwap, LOST } from './compare-and-swap.ts'
import { dataVersionField } from './data-version.ts'
import type { CookieCache } from './cookie-cache.ts'
import type { CookieReissue } from './cookie-reissue.ts'
import { KeyedLock } from './keyed-lock.ts'
import type {
  CookieValueInput,
  CreateOptions,
  Opened,
  SessionMode,
  UpdateOutcome,
  UpdateRound,
  WriteResult,
} from './mode.ts'
import type { RecordBounds } from './record-bounds.ts'

const MAX_UPDATE_ATTEMPTS = 100
const UPDATE_POLICY = {
  attempts: MAX_UPDATE_ATTEMPTS,
  what: 'update()',
  exhausted: () =>
    new HallpassError(
      'SESSION_CONFLICT',
      `update() lost ${MAX_UPDATE_ATTEMPTS} races in a row; try again`,
    ),
}

/** Sessions in a Store; see `SessionMode`. */
export class StoreMode implements SessionMode {
  /** Serializes `update()` calls on one session id inside this process (compare-and-swap still guards the others). */
  private readonly updates = new KeyedLock()

  constructor(
    readonly store: Store,
    private readonly codec: TokenCodec,
    private readonly cache: CookieCache | undefined,
    private readonly clock: () => number,
    /** The load path's record bounds: a stored record out of them is refused in `update()` too. */
    private readonly bounds: RecordBounds,
  ) {}

  async open(
    lookup: { readonly name: string; readonly value: string },
    cookieHeader: string | null | undefined,
    reissue: CookieReissue,
  ): Promise<Opened> {
    const verified = this.codec.verify(lookup.value)
    if ('rejected' in verified)
      return { rejected: verified.rejected, clear: reissue.refused(lookup.name) }
    const { id } = verified
    const carried = reissue.checked(
      lookup.name,
      lookup.value,
      verified.attributes,
      verified.resigned,
    )
    const cached = this.cache?.read(cookieHeader, id, this.clock())
    const record = cached ?? (await failClosed(this.store.get(id)))
    if (record === 'corrupt') return { rejected: 'invalid_data', clear: carried, id }
    if (!record) return { rejected: 'not_found', clear: carried, id }
    // Rotated a moment ago by another request: anonymous, and the browser's newer cookie is left alone.
    if (isTombstone(record)) return { rejected: 'rotated', clear: false, id, rotatedAway: true }
    return { record, fromStore: cached === undefined, carried }
  }

  assertFits(): void {
    // A store keeps what maxDataBytes allows; the commit checks that.
  }

  stamp(): Partial<SessionRecord> {
    return {}
  }

  /**
   * Compare-and-swap on the stored record, retried when another process wrote in between (SESSION_CONFLICT after
   * 100 lost rounds). One update per session at a time in this process, so no round is lost to a sibling here.
   */
  update(record: SessionRecord, round: UpdateRound): Promise<UpdateOutcome> {
    return this.updates.run(record.id, () =>
      compareAndSwap<UpdateOutcome>(UPDATE_POLICY, async () => {
        const fresh = await this.read(record.id)
        if (fresh === null) return 'ended'
        if (fresh === 'corrupt' || this.bounds.problem(fresh) !== undefined) {
          if (fresh !== 'corrupt') await this.discard(record.id)
          return 'invalid'
        }
        if (isTombstone(fresh)) return 'rotated'
        const { data, patch } = await round(fresh)
        const result = await this.patch(fresh, { ...patch, expectVersion: fresh.version })
        if (result === 'conflict') return LOST
        if (result !== 'ok') return result
        const lastSeenAt = patch.lastSeenAt ?? fresh.lastSeenAt
        const version = fresh.version + 1
        // The data version the patch raised the record to (this deploy's: the round upgraded older data).
        const raised = patch.dataVersion !== undefined && dataVersionField(patch.dataVersion)
        return { stored: { ...fresh, data, version, lastSeenAt, ...raised }, previous: fresh }
      }),
    )
  }

  private read(id: string): Promise<SessionRecord | 'corrupt' | null> {
    return failClosed(this.store.get(id))
  }

  create(record: SessionRecord, options: CreateOptions): Promise<CreateResult> {
    const { replaces, ...rest } = options
    return failClosed(
      this.store.create(record, {
        ...rest,
        ...(replaces && { replaces: replaces.id, tombstone: ROTATION_GRACE_MS }),
      }),
    )
  }

  async retire(previous: SessionRecord, now: number): Promise<void> {
    this.cache?.end(previous.id, now) // the store already holds its tombstone
  }

  patch(record: SessionRecord, patch: SessionPatch): Promise<WriteResult> {
    // A `.then`, not an async frame: every write runs this.
    return failClosed(this.store.patch(record.id, patch)).then((result) =>
      result === 'missing' ? this.whyMissing(record.id) : result,
    )
  }

  /** A patch found no record: rotated away by another request (a tombstone), or ended. */
  private async whyMissing(id: string): Promise<'rotated' | 'ended'> {
    const now = await this.read(id)
    return now !== null && now !== 'corrupt' && isTombstone(now) ? 'rotated' : 'ended'
  }

  async end(record: SessionRecord, now: number): Promise<void> {
    this.cache?.end(record.id, now)
    await failClosed(this.store.destroy(record.id))
  }

  async discard(id: string): Promise<void> {
    try {
      await this.store.destroy(id)
    } catch {
      // The record is refused either way; the store's TTL removes it later.
    }
  }

  /** The token cookie is sent when this request issued a new id or re-issues the carried one; a write changes no token. */
  cookieValue({ cookie }: CookieValueInput): string | undefined {
    return cookie.kind === 'keep' ? undefined : cookie.value
  }

  async ping(): Promise<void> {
    const { store } = this
    await failClosed<unknown>(store.ping ? store.ping() : store.get('healthcheck-probe-000000000'))
  }

  listByUser(userId: string): Promise<SessionRecord[]> {
    return failClosed(this.store.listByUser(userId))
  }

  async revokeOne(userId: string, id: string | undefined): Promise<string[]> {
    return id === undefined ? [] : this.revoke(userId, { ids: [id] })
  }

  async revokeAll(userId: string, except: string | null | undefined) {
    const ids = await this.revoke(userId, isSessionId(except) ? { except } : {})
    return { ids, count: ids.length }
  }

  private async revoke(userId: string, options: { ids?: string[]; except?: string }) {
    const ids = await failClosed(this.store.revoke(userId, options))
    const now = this.clock()
    for (const id of ids) this.cache?.end(id, now)
    return ids
  }
}
