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
import { WriteLog, type CacheTicket } from './cookie-cache-log.ts'
import { decodeRecordJson, encodeRecordJson } from './record-codec.ts'

export type { CacheTicket }

/** A snapshot's sealed text: `cachedAt.instance.position.record`. */
const SNAPSHOT = /^(?<at>\d{1,15})\.(?<instance>[0-9a-f]{16})\.(?<position>\d{1,15})\.(?<json>.*)$/s

/** Which instance built a snapshot: its write-log positions mean something only here. */
function instanceTag(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(8))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Snapshots that let reads skip the store. A snapshot carries when and where it was built (`cachedAt.instance.
 * position.record`); it is refused once `ttl` old, when the session ended on this instance, when this instance wrote
 * the session after it was built, or when this instance saw a newer store version of the record.
 */
export class CookieCache {
  private readonly log: WriteLog
  private readonly instance = instanceTag()

  constructor(
    private readonly sealer: Sealer,
    readonly ttl: number,
    private readonly cookie: ResolvedCookieOptions,
  ) {
    this.log = new WriteLog(ttl)
  }

  get name(): string {
    return this.cookie.name
  }

  /** The cached record for session `id`, if its snapshot is authentic, for this id, fresh, and not outdated here. */
  read(header: string | null | undefined, id: string, now: number): SessionRecord | undefined {
    const found = readCookie(header, this.cookie.name)
    if (found.value === undefined) return undefined
    const text = this.sealer.open(found.value)
    const parts = SNAPSHOT.exec(text ?? '')?.groups
    if (!parts) return undefined
    const cachedAt = Number(parts.at)
    if (!(cachedAt <= now && now - cachedAt < this.ttl)) return undefined
    const record = decodeRecordJson(parts.json as string)
    if (record?.id !== id) return undefined
    const seen = parts.instance === this.instance ? Number(parts.position) : undefined
    return this.log.outdated(id, record.version, seen) ? undefined : record
  }

  /** A ticket for a request loading now (`fromStore`: the record it loaded from the store, whose version is noted). */
  ticket(fromStore: SessionRecord | null, now: number): CacheTicket {
    return this.log.ticket(fromStore, now)
  }

  /**
   * The request holding `ticket` wrote `record` to the store. Its `copy` of the data is `exact` after a
   * compare-and-swap on the latest stored data (`update()`) or a new record, `merged` after a patch of changed keys
   * (another request's keys may be in the store but not in this copy).
   */
  wrote(
    ticket: CacheTicket | undefined,
    record: SessionRecord,
    copy: 'exact' | 'merged',
    now: number,
  ): void {
    if (ticket) this.log.wrote(ticket, record.id, record.version, copy === 'exact', now)
  }

  /**
   * Set-Cookie for the response of the request holding `ticket`: a fresh snapshot when its copy of the session is
   * the latest write on this instance and fits in a cookie. Otherwise a clearing cookie when another write came
   * in between (the browser's snapshot may be the other request's, older or newer), or when it does not fit and
   * `clearStale` (this request wrote: the browser's snapshot is older); else nothing.
   */
  snapshot(
    record: SessionRecord,
    ticket: CacheTicket,
    clearStale: boolean,
    now: number,
  ): string | undefined {
    if (!this.log.current(ticket, record.id)) return this.clear()
    const text = `${now}.${this.instance}.${ticket.seen}.${encodeRecordJson(record)}`
    const value = this.sealer.seal(text)
    if (this.cookie.name.length + 1 + value.length <= MAX_COOKIE_BYTES)
      return sessionCookie(this.cookie, value)
    return clearStale ? this.clear() : undefined
  }

  clear(): string {
    return clearedCookie(this.cookie)
  }

  /** Marks a session as ended on this instance, so its snapshot is refused at once. */
  end(id: string, now: number): void {
    this.log.end(id, now)
  }
}
