// The cookie cache: a sealed snapshot of a store-backed session in a second cookie, trusted for `ttl` ms only.
import type { Sealer } from '../crypto/seal.ts'
import type { SessionRecord } from '../stores/types.ts'
import {
  clearedCookie,
  MAX_COOKIE_BYTES,
  readCookie,
  sessionCookie,
  type ResolvedCookieOptions,
} from './cookies.ts'
import { decodeRecordJson, encodeRecordJson } from './record-codec.ts'

/** Snapshots that let reads skip the store; sessions ended on this instance are never served from cache. */
export class CookieCache {
  private readonly ended = new Map<string, number>()

  constructor(
    private readonly sealer: Sealer,
    readonly ttl: number,
    private readonly cookie: ResolvedCookieOptions,
  ) {}

  get name(): string {
    return this.cookie.name
  }

  /** The cached record for session `id`, if its snapshot is authentic, for this id, fresh, and not ended here. */
  read(header: string | null | undefined, id: string, now: number): SessionRecord | undefined {
    const found = readCookie(header, this.cookie.name)
    if (found.value === undefined || this.isEnded(id, now)) return undefined
    const text = this.sealer.open(found.value)
    const dot = text?.indexOf('.') ?? -1
    if (text === undefined || dot < 1) return undefined
    const cachedAt = Number(text.slice(0, dot))
    if (!(cachedAt <= now && now - cachedAt < this.ttl)) return undefined
    const record = decodeRecordJson(text.slice(dot + 1))
    return record?.id === id ? record : undefined
  }

  /** Set-Cookie for a fresh snapshot, or undefined when it would not fit in a cookie. */
  write(record: SessionRecord, now: number): string | undefined {
    const value = this.sealer.seal(`${now}.${encodeRecordJson(record)}`)
    if (this.cookie.name.length + 1 + value.length > MAX_COOKIE_BYTES) return undefined
    return sessionCookie(this.cookie, value)
  }

  clear(): string {
    return clearedCookie(this.cookie)
  }

  /** Marks a session as ended on this instance, so its snapshot is refused at once. */
  end(id: string, now: number): void {
    this.ended.set(id, now + this.ttl)
    if (this.ended.size > 10_000)
      for (const [key, until] of this.ended) if (until <= now) this.ended.delete(key)
  }

  private isEnded(id: string, now: number): boolean {
    const until = this.ended.get(id)
    if (until === undefined) return false
    if (until > now) return true
    this.ended.delete(id)
    return false
  }
}
