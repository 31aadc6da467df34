// Bounded in-process store: TTL expiry swept incrementally, a per-user index, and unref'd timers.
import { configError, HallpassError } from '../errors.ts'
import { isPlainObject } from '../json.ts'
import { MAX_TIMER_MS, millisecondsOption } from './milliseconds.ts'
import { StatsTally } from './stats.ts'
import type { CreateOptions, PatchResult, RevokeOptions, SessionPatch, SessionRecord, Store, StoreStats } from './types.ts'
import { tombstoneFor } from './tombstone.ts'
import { copyDevice } from './device-codec.ts'

export interface MemoryStoreOptions {
  /** Most sessions kept; beyond it the least recently written session is evicted. @default 100_000 */
  maxSessions?: number
  /** Milliseconds between incremental sweeps of expired entries. @default 10_000 */
  sweepIntervalMs?: number
  /** @deprecated The older name of `sweepIntervalMs` (also milliseconds). */
  sweepInterval?: number
  /** Entries examined per sweep step. @default 500 */
  sweepBatch?: number
  /** Clock in epoch ms (inject one in tests). @default Date.now */
  clock?: () => number
}

interface Entry {
  record: Omit<SessionRecord, 'data'>
  /** Data kept serialized so callers can never share or mutate stored objects. */
  json: string
  dropAt: number
}

/**
 * The default store: fast, bounded, single-process. Use SQLite or Redis when sessions must survive
 * a restart or be shared between processes.
 *
 * @example
 * ```ts
 * import { memoryStore } from 'hallpass/stores/memory'
 * const sessions = createSessions({ secret, store: memoryStore({ maxSessions: 50_000 }) })
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store & { readonly size: number; close(): Promise<void> } {
  return new MemoryStore(options)
}

class MemoryStore implements Store {
  readonly kind = 'memory'
  private readonly entries = new Map<string, Entry>()
  private readonly byUser = new Map<string, Set<string>>()
  private readonly maxSessions: number
  private readonly sweepBatch: number
  private readonly clock: () => number
  private cursor: Iterator<[string, Entry]> | undefined
  private readonly timer: ReturnType<typeof setInterval>

  constructor(options: MemoryStoreOptions) {
    this.maxSessions = options.maxSessions ?? 100_000
    this.sweepBatch = options.sweepBatch ?? 500
    this.clock = options.clock ?? Date.now
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1) configError('memoryStore maxSessions must be a positive integer')
    const sweepInterval = millisecondsOption('memoryStore', options, 'sweepIntervalMs', 'sweepInterval', 10_000, 1, MAX_TIMER_MS)
    this.timer = setInterval(() => this.sweep(), sweepInterval)
    this.timer.unref()
  }

  get size(): number {
    return this.entries.size
  }

  async get(id: string): Promise<SessionRecord | null> {
    const entry = this.live(id)
    return entry ? { ...entry.record, data: JSON.parse(entry.json) as Record<string, unknown> } : null
  }

  async create(record: SessionRecord, options: CreateOptions): Promise<{ evicted: string[] }> {
    const { data, device, ...rest } = record
    if (!isPlainObject(data)) throw new HallpassError('SESSION_DATA_INVALID', 'session data must be a plain object')
    const meta = copyDevice(rest, device)
    if (options.replaces !== undefined) this.remove(options.replaces)
    this.remove(record.id)
    while (this.entries.size >= this.maxSessions) this.evictOne()
    this.entries.set(record.id, { record: meta, json: JSON.stringify(data), dropAt: this.clock() + options.ttl })
    if (options.replaces !== undefined && options.replaces !== record.id && options.tombstone !== undefined) {
      const { data: _none, ...stone } = tombstoneFor(options.replaces, record.lastSeenAt, options.tombstone)
      this.entries.set(options.replaces, { record: stone, json: '{}', dropAt: this.clock() + options.tombstone })
    }
    if (record.userId === null) return { evicted: [] }
    let ids = this.byUser.get(record.userId)
    if (!ids) this.byUser.set(record.userId, (ids = new Set()))
    ids.add(record.id)
    return { evicted: this.enforceCap(record.userId, record.id, options.maxPerUser) }
  }

  async patch(id: string, patch: SessionPatch): Promise<PatchResult> {
    const entry = this.live(id)
    if (!entry || entry.record.version === 0) return 'missing' // gone, or a tombstone
    if (patch.expectVersion !== undefined && entry.record.version !== patch.expectVersion) return 'conflict'
    if (Object.keys(patch.set).length > 0 || patch.unset.length > 0) {
      const data = JSON.parse(entry.json) as Record<string, unknown>
      for (const key of patch.unset) delete data[key]
      Object.assign(data, patch.set)
      entry.json = JSON.stringify(data)
    }
    const { device, ...rest } = entry.record
    // Another request may have touched the session since this one loaded it: keep the later time and expiry.
    const lastSeenAt = Math.max(rest.lastSeenAt, patch.lastSeenAt ?? rest.lastSeenAt)
    const nextDevice = patch.device === undefined ? device : (patch.device ?? undefined)
    entry.record = copyDevice({ ...rest, version: rest.version + 1, lastSeenAt }, nextDevice)
    entry.dropAt = Math.max(entry.dropAt, this.clock() + patch.ttl)
    this.entries.delete(id) // re-insert: Map order doubles as least-recently-written order
    this.entries.set(id, entry)
    return 'ok'
  }

  async destroy(id: string): Promise<boolean> {
    return this.remove(id)
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const records: SessionRecord[] = []
    for (const id of this.byUser.get(userId) ?? []) {
      const entry = this.live(id)
      if (entry) records.push({ ...entry.record, data: JSON.parse(entry.json) as Record<string, unknown> })
    }
    return records
  }

  async revoke(userId: string, options: RevokeOptions = {}): Promise<string[]> {
    const owned = this.byUser.get(userId)
    if (!owned) return []
    const candidates = options.ids ?? [...owned]
    const revoked: string[] = []
    for (const id of candidates) {
      if (id === options.except || !owned.has(id)) continue
      if (this.remove(id)) revoked.push(id)
    }
    return revoked
  }

  async ping(): Promise<void> {}

  async stats(withinMs: number): Promise<StoreStats> {
    const now = this.clock()
    const tally = new StatsTally(now + withinMs)
    for (const entry of this.entries.values()) if (entry.dropAt > now) tally.add(entry.record.userId, entry.dropAt)
    return tally.result()
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
  }

  /** The entry if present and not past its TTL; expired entries are removed on sight. */
  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id)
    if (entry && entry.dropAt <= this.clock()) {
      this.remove(id)
      return undefined
    }
    return entry
  }

  private remove(id: string): boolean {
    const entry = this.entries.get(id)
    if (!entry) return false
    this.entries.delete(id)
    const userId = entry.record.userId
    if (userId !== null) {
      const ids = this.byUser.get(userId)
      ids?.delete(id)
      if (ids?.size === 0) this.byUser.delete(userId)
    }
    return entry.dropAt > this.clock()
  }

  /** Evicts the user's least recently used other sessions (last seen, then created) until at most `max` remain; never `keep`. */
  private enforceCap(userId: string, keep: string, max: number | undefined): string[] {
    const ids = this.byUser.get(userId)
    if (max === undefined || !ids || ids.size <= max) return []
    const others = [...ids].filter((id) => id !== keep).map((id) => this.entries.get(id) as Entry)
    others.sort((a, b) => a.record.lastSeenAt - b.record.lastSeenAt || a.record.createdAt - b.record.createdAt)
    return others.slice(0, ids.size - max).map((entry) => (this.remove(entry.record.id), entry.record.id))
  }

  /** Makes room: an expired entry if the next few hold one, else the least recently written. */
  private evictOne(): void {
    if (this.sweep(32) > 0) return
    const oldest = this.entries.keys().next()
    if (!oldest.done) this.remove(oldest.value)
  }

  /** Examines up to `batch` entries from where the last sweep stopped; returns how many it removed. */
  private sweep(batch = this.sweepBatch): number {
    const now = this.clock()
    let removed = 0
    for (let i = 0; i < batch; i++) {
      this.cursor ??= this.entries.entries()
      const next = this.cursor.next()
      if (next.done) {
        this.cursor = undefined
        break
      }
      const [id, entry] = next.value
      if (entry.dropAt <= now) {
        this.remove(id)
        removed++
      }
    }
    return removed
  }
}
