// The cookie cache's per-instance write log: which session ids were written (or ended) here, and when, in order.

/** What one request knows about the writes of the session it carries (see `WriteLog.ticket`). */
export interface CacheTicket {
  /** The log position this request's copy of the data is current at: its load, or its own last write. */
  seen: number
  /** A write by another request on this instance landed between this request's load and one of its own writes. */
  tainted: boolean
}

interface Entry {
  /** Log position of the last write (or end) of this id on this instance. */
  seq: number
  /** The highest store version this instance has seen for the id (a write's is a lower bound). */
  version: number
  /** Until when the entry matters: a snapshot built before its write is refused by age from then on. */
  until: number
  ended: boolean
}

/** Entries kept at most; past it the oldest go first, and the floor makes their absence count as a write. */
export const MAX_LOGGED_SESSIONS = 100_000

/**
 * Every write of a session on this instance gets the next position of one log. A snapshot may be sent (or read)
 * only when no other write of its session came after the position it was built at. Entries are dropped once `ttl`
 * has passed since their write, or the oldest when there are `max`; `floor`, the highest position dropped, then
 * stands in for the write of any id without an entry: only a request or snapshot older than it is refused.
 */
export class WriteLog {
  private readonly entries = new Map<string, Entry>()
  private position = 0
  private floor = 0

  constructor(
    private readonly ttl: number,
    private readonly max = MAX_LOGGED_SESSIONS,
  ) {}

  /** How many session ids the log holds (at most `max`). */
  get size(): number {
    return this.entries.size
  }

  /** A ticket for a request loading now; a record loaded from the store teaches the log its version. */
  ticket(loaded: { id: string; version: number } | null, now: number): CacheTicket {
    if (loaded) this.noteVersion(loaded.id, loaded.version, now)
    return { seen: this.position, tainted: false }
  }

  /**
   * The request holding `ticket` wrote session `id` (now at `version`). `exact`: the write was a compare-and-swap
   * on the store's latest data (`update()`), so the request's copy is the stored record whatever happened before.
   */
  wrote(ticket: CacheTicket, id: string, version: number, exact: boolean, now: number): void {
    ticket.tainted = exact ? false : ticket.tainted || this.lastWrite(id) > ticket.seen
    ticket.seen = this.append(id, now)
    this.noteVersion(id, version, now)
  }

  /** Whether a snapshot of `id` built from the copy of the request holding `ticket` is the latest write here. */
  current(ticket: CacheTicket, id: string): boolean {
    return !ticket.tainted && this.lastWrite(id) <= ticket.seen && !this.isEnded(id)
  }

  /** Whether a snapshot of record `id`/`version` built at position `seen` here (undefined: elsewhere) is refused. */
  outdated(id: string, version: number, seen: number | undefined): boolean {
    if (this.isEnded(id)) return true
    if (seen !== undefined && this.lastWrite(id) > seen) return true
    return version < (this.entries.get(id)?.version ?? 0)
  }

  /** Session `id` ended on this instance: every snapshot of it is refused from now on. */
  end(id: string, now: number): void {
    this.append(id, now)
    const entry = this.entries.get(id)
    if (entry) entry.ended = true
  }

  private isEnded(id: string): boolean {
    return this.entries.get(id)?.ended ?? false
  }

  private lastWrite(id: string): number {
    return this.entries.get(id)?.seq ?? this.floor
  }

  private append(id: string, now: number): number {
    const previous = this.entries.get(id)
    this.position += 1
    this.entries.delete(id) // re-inserted last: the map stays in write order
    this.entries.set(id, {
      seq: this.position,
      version: previous?.version ?? 0,
      until: now + this.ttl,
      ended: previous?.ended ?? false,
    })
    this.prune(now)
    return this.position
  }

  private noteVersion(id: string, version: number, now: number): void {
    const entry = this.entries.get(id)
    if (entry) entry.version = Math.max(entry.version, version)
    else {
      this.entries.set(id, { seq: this.floor, version, until: now + this.ttl, ended: false })
      this.prune(now)
    }
  }

  /** Drops entries past their time, then the oldest over `max`, raising the floor to what was dropped. */
  private prune(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.until > now && this.entries.size <= this.max) break
      this.entries.delete(id)
      this.floor = Math.max(this.floor, entry.seq)
    }
  }
}
