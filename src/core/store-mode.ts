// Store mode: the cookie holds a MAC'd token, the record lives in a Store (optionally cached in a sealed cookie).
import { isSessionId, type TokenCodec } from '../crypto/token.ts'
import { failClosed } from '../fail-closed.ts'
import { isTombstone, ROTATION_GRACE_MS } from '../stores/tombstone.ts'
import type { CreateResult, SessionPatch, SessionRecord, Store } from '../stores/types.ts'
import type { CookieCache } from './cookie-cache.ts'
import type { CookieReissue } from './cookie-reissue.ts'
import type { CookieValueInput, CreateOptions, Opened, SessionMode, WriteResult } from './mode.ts'

export { ROTATION_GRACE_MS }

/** Sessions in a Store; see `SessionMode`. */
export class StoreMode implements SessionMode {
  readonly recordsInStore = true

  constructor(
    readonly store: Store,
    private readonly codec: TokenCodec,
    private readonly cache: CookieCache | undefined,
    private readonly clock: () => number,
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

  read(id: string): Promise<SessionRecord | 'corrupt' | null> {
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

  async patch(record: SessionRecord, patch: SessionPatch): Promise<WriteResult> {
    const result = await failClosed(this.store.patch(record.id, patch))
    if (result !== 'missing') return result
    // Gone: rotated away by another request (a tombstone), or ended.
    const now = await this.read(record.id)
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

  cookieValue(input: CookieValueInput): string | undefined {
    return input.issuedCookie ?? input.reissue
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
