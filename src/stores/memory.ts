// Bounded in-process store: anonymous and signed-in records bounded apart, expiry swept incrementally, a user index.
import { checkOptionKeys, configError, HallpassError } from '../errors.ts'
import { isPlainObject } from '../json.ts'
import { MAX_TIMER_MS, millisecondsOption } from './milliseconds.ts'
import { StatsTally } from './stats.ts'
import type {
  CreateOptions,
  CreateResult,
  EvictedSession,
  PatchResult,
  RevokeOptions,
} from './types.ts'
import type { SessionPatch, SessionRecord, Store, StoreStats } from './types.ts'
import { dataVersionRefused } from './data-version.ts'
import { tombstoneFor } from './tombstone.ts'
import { markVersion } from './record-version.ts'
import { copyDevice } from './device-codec.ts'
import { LazyInterval } from './lazy-interval.ts'
import { Pools, type PoolName } from './memory-pools.ts'

/** The keys of MemoryStoreOptions: any other (a typo, the removed `sweepInterval`) is refused. */
const KNOWN_OPTIONS = [
  'maxSessions',
  'maxAnonymousSessions',
  'sweepIntervalMs',
  'sweepBatch',
  'clock',
]

/** Entries a full store examines for expired ones before it evicts a live one. */
const SWEEP_ON_FULL = 32

export interface MemoryStoreOptions {
  /**
   * Most records kept, anonymous and signed-in together. To admit a new one when full, the store drops an expired
   * record, else the least recently written anonymous one; only a login (or a signed-in regenerate), when every
   * record is signed in, evicts the least recently written tombstone of a login, and only when none is left the
   * least recently written signed-in session (the manager emits `session.revoked`, reason `evicted`). A new
   * anonymous session is never admitted at a signed-in one's expense: it is refused with `STORE_UNAVAILABLE` (the
   * adapters answer 503). @default 100_000
   */
  maxSessions?: number
  /**
   * Most anonymous records (`userId: null`, carts and preferences before sign-in) kept; beyond it the least
   * recently written anonymous one is evicted. At most `maxSessions`. @default maxSessions
   */
  maxAnonymousSessions?: number
  /** Milliseconds between incremental sweeps of expired entries (from the first session on). @default 10_000 */
  sweepIntervalMs?: number
  /** Entries examined per sweep step. @default 500 */
  sweepBatch?: number
  /** Clock in epoch ms (inject one in tests). @default Date.now */
  clock?: () => number
}

interface Entry {
  /** Fixed at creation: a tombstone goes in `rotated` when a signed-in session replaced it, else in `anonymous`. */
  readonly pool: PoolName
  record: Omit<SessionRecord, 'data'>
  /** Data kept serialized so callers can never share or mutate stored objects. */
  json: string
  dropAt: number
}

/**
 * The default store: fast, bounded, single-process. Use SQLite or Redis when sessions must survive
 * a restart or be shared between processes. Anonymous traffic can never evict a signed-in session (see
 * `maxSessions`). Constructing it starts no timer; the sweep starts with the first session.
 *
 * @example
 * ```ts
 * import { memoryStore } from 'hallpass/stores/memory'
 * const sessions = createSessions({ secret, store: memoryStore({ maxSessions: 50_000 }) })
 * ```
 */
export function memoryStore(
  options: MemoryStoreOptions = {},
): Store & { readonly size: number; close(): Promise<void> } {
  return new MemoryStore(options)
}

class MemoryStore implements Store {
  readonly kind = 'memory'
  readonly keepsDataVersion = true
  private readonly entries = new Pools<Entry>()
  private readonly byUser = new Map<string, Set<string>>()
  private readonly maxSessions: number
  private readonly maxAnonymous: number
  private readonly sweepBatch: number
  private readonly clock: () => number
  private cursor: Iterator<[string, Entry]> | undefined
  private readonly sweeper: LazyInterval

  constructor(options: MemoryStoreOptions) {
    if (typeof options !== 'object' || options === null)
      configError(
        'memoryStore options must be an object, e.g. memoryStore({ maxSessions: 50_000 })',
      )
    checkOptionKeys('memoryStore', options, KNOWN_OPTIONS)
    this.maxSessions = options.maxSessions ?? 100_000
    this.maxAnonymous = options.maxAnonymousSessions ?? this.maxSessions
    this.sweepBatch = options.sweepBatch ?? 500
    this.clock = options.clock ?? Date.now
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1)
      configError('memoryStore maxSessions must be a positive integer')
    if (
      !Number.isInteger(this.maxAnonymous) ||
      this.maxAnonymous < 1 ||
      this.maxAnonymous > this.maxSessions
    ) {
      configError(
        `memoryStore maxAnonymousSessions must be an integer from 1 to maxSessions (${this.maxSessions})`,
      )
    }
    if (!Number.isInteger(this.sweepBatch) || this.sweepBatch < 1)
      configError('memoryStore sweepBatch must be a positive integer')
    if (typeof this.clock !== 'function')
      configError('memoryStore clock must be a function returning epoch milliseconds')
    const sweepInterval = millisecondsOption(
      'memoryStore',
      options,
      'sweepIntervalMs',
      10_000,
      1,
      MAX_TIMER_MS,
    )
    this.sweeper = new LazyInterval(() => this.sweep(), sweepInterval)
  }

  get size(): number {
    return this.entries.size
  }

  async get(id: string): Promise<SessionRecord | null> {
    const entry = this.live(id)
    if (!entry) return null
    const record = { ...entry.record, data: JSON.parse(entry.json) as Record<string, unknown> }
    // `entry.record` is replaced, never changed, by each write (with `entry.json`): it stands for this version.
    markVersion(record, entry.record)
    return record
  }

  async create(record: SessionRecord, options: CreateOptions): Promise<CreateResult> {
    const { data, device, ...rest } = record
    if (!isPlainObject(data))
      throw new HallpassError('SESSION_DATA_INVALID', 'session data must be a plain object')
    const meta = copyDevice(rest, device)
    const pool: PoolName = record.userId === null ? 'anonymous' : 'signedIn'
    const stone =
      options.replaces !== undefined && options.replaces !== record.id
        ? options.tombstone
        : undefined
    const need = stone === undefined ? 1 : 2
    if (pool === 'anonymous') this.admitAnonymous(need, [record.id, options.replaces])
    if (options.replaces !== undefined) this.remove(options.replaces)
    this.remove(record.id)
    const displaced = this.makeRoom(pool, need)
    this.sweeper.start()
    this.entries.set(record.id, {
      pool,
      record: meta,
      json: JSON.stringify(data),
      dropAt: this.clock() + options.ttl,
    })
    if (options.replaces !== undefined && stone !== undefined) {
      const { data: _none, ...tombstone } = tombstoneFor(options.replaces, record.lastSeenAt, stone)
      this.entries.set(options.replaces, {
        pool: pool === 'anonymous' ? 'anonymous' : 'rotated',
        record: tombstone,
        json: '{}',
        dropAt: this.clock() + stone,
      })
    }
    if (record.userId === null) return { evicted: [], displaced }
    let ids = this.byUser.get(record.userId)
    if (!ids) this.byUser.set(record.userId, (ids = new Set()))
    ids.add(record.id)
    return { evicted: this.enforceCap(record.userId, record.id, options.maxPerUser), displaced }
  }

  async patch(id: string, patch: SessionPatch): Promise<PatchResult> {
    const entry = this.live(id)
    if (!entry || entry.record.version === 0) return 'missing' // gone, or a tombstone
    if (patch.expectVersion !== undefined && entry.record.version !== patch.expectVersion)
      return 'conflict'
    const stored = entry.record.dataVersion ?? 1
    if (dataVersionRefused(stored, patch)) return 'conflict'
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
    const updated = { ...rest, version: rest.version + 1, lastSeenAt }
    const raised =
      patch.dataVersion !== undefined && patch.dataVersion > stored
        ? { ...updated, dataVersion: patch.dataVersion }
        : updated
    entry.record = copyDevice(raised, nextDevice)
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
      if (entry)
        records.push({ ...entry.record, data: JSON.parse(entry.json) as Record<string, unknown> })
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
    for (const entry of this.entries.values())
      if (entry.dropAt > now) tally.add(entry.record.userId, entry.dropAt)
    return tally.result()
  }

  async close(): Promise<void> {
    this.sweeper.stop()
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

  /**
   * Evicts the user's least recently used other live sessions (last seen, then created) until at most `max`
   * remain; never `keep`. Only the user's own sessions count, so nobody else's traffic can push one out.
   */
  private enforceCap(userId: string, keep: string, max: number | undefined): string[] {
    const ids = this.byUser.get(userId)
    if (max === undefined || !ids || ids.size <= max) return []
    const others = [...ids].filter((id) => id !== keep).flatMap((id) => this.live(id) ?? [])
    others.sort(
      (a, b) =>
        a.record.lastSeenAt - b.record.lastSeenAt || a.record.createdAt - b.record.createdAt,
    )
    return others
      .slice(0, others.length + 1 - max)
      .map((entry) => (this.remove(entry.record.id), entry.record.id))
  }

  /**
   * Refuses, before anything changes, an anonymous record that only evicting a signed-in session could make room
   * for: the store is full of signed-in sessions (expired ones are reclaimed first). `ids` are the records this
   * create removes anyway (its own id and the one it replaces).
   */
  private admitAnonymous(need: number, ids: ReadonlyArray<string | undefined>): void {
    // Tombstones of logins count as signed in: an anonymous flood must not remove them either.
    const signedIn = (): number => {
      const freed = new Set(
        ids.filter((id) => {
          const entry = id === undefined ? undefined : this.entries.get(id)
          return entry !== undefined && entry.pool !== 'anonymous'
        }),
      )
      return this.entries.count('signedIn') + this.entries.count('rotated') - freed.size
    }
    if (signedIn() + need <= this.maxSessions) return
    this.sweep(SWEEP_ON_FULL)
    if (signedIn() + need <= this.maxSessions) return
    throw new HallpassError(
      'STORE_UNAVAILABLE',
      `the memory store is full of signed-in sessions (maxSessions ${this.maxSessions}): a new anonymous session ` +
        'is refused rather than signing a user out. Raise maxSessions, or use the SQLite or Redis store.',
    )
  }

  /**
   * Evicts until `need` more records fit: in the anonymous pool, its least recently written record over
   * `maxAnonymousSessions`; over `maxSessions`, an expired record if the next few hold one, else the least recently
   * written anonymous one, and only for a signed-in record, the least recently written tombstone of a login (so one
   * account signing in again and again, which maxPerUser does not stop, cannot push out other users), then the least
   * recently written signed-in session. Returns the live signed-in sessions evicted.
   */
  private makeRoom(pool: PoolName, need: number): EvictedSession[] {
    const displaced: EvictedSession[] = []
    if (pool === 'anonymous') {
      const anonymous = (): number => this.entries.count('anonymous')
      while (anonymous() > 0 && anonymous() + need > this.maxAnonymous)
        this.evictOldest('anonymous')
    }
    while (this.entries.size > 0 && this.entries.size + need > this.maxSessions) {
      if (this.sweep(SWEEP_ON_FULL) > 0) continue
      const victims = this.victimPool()
      if (victims !== 'anonymous' && pool === 'anonymous') break // unreachable: admitAnonymous refused it
      const evicted = this.evictOldest(victims)
      if (evicted) displaced.push(evicted)
    }
    return displaced
  }

  /** Where room is taken from when the store is full: anonymous records, then tombstones, then signed-in sessions. */
  private victimPool(): PoolName {
    if (this.entries.count('anonymous') > 0) return 'anonymous'
    return this.entries.count('rotated') > 0 ? 'rotated' : 'signedIn'
  }

  /** Removes the pool's least recently written record; returns it when it was a live signed-in session. */
  private evictOldest(pool: PoolName): EvictedSession | undefined {
    const id = this.entries.oldest(pool)
    const userId = id === undefined ? null : (this.entries.get(id)?.record.userId ?? null)
    if (id === undefined || !this.remove(id) || userId === null) return undefined
    return { id, userId }
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
