// The memory store's entries in recency-ordered pools (anonymous, signed-in, rotated) behind one Map-like face.

/**
 * Which pool an entry lives in: anonymous records never take room from the other two. `rotated` holds the tombstones
 * that logins and signed-in regenerates leave, which a login evicts before any live signed-in session.
 */
export type PoolName = 'anonymous' | 'signedIn' | 'rotated'

/** An entry that knows its pool (fixed when it is created). */
export interface Pooled {
  readonly pool: PoolName
}

/**
 * Maps whose insertion order is write order: `set` puts an entry last in its pool, so the first key of
 * a pool is its least recently written entry. Lookups try both pools.
 */
export class Pools<E extends Pooled> {
  private readonly maps: Record<PoolName, Map<string, E>> = {
    anonymous: new Map(),
    signedIn: new Map(),
    rotated: new Map(),
  }

  get size(): number {
    return this.maps.anonymous.size + this.maps.signedIn.size + this.maps.rotated.size
  }

  /** How many entries the pool holds (expired ones not yet swept included). */
  count(pool: PoolName): number {
    return this.maps[pool].size
  }

  get(id: string): E | undefined {
    return this.maps.anonymous.get(id) ?? this.maps.signedIn.get(id) ?? this.maps.rotated.get(id)
  }

  /** Stores the entry as the most recently written of its pool. */
  set(id: string, entry: E): void {
    this.delete(id)
    this.maps[entry.pool].set(id, entry)
  }

  delete(id: string): boolean {
    return (
      this.maps.anonymous.delete(id) ||
      this.maps.signedIn.delete(id) ||
      this.maps.rotated.delete(id)
    )
  }

  /** The id of the pool's least recently written entry. */
  oldest(pool: PoolName): string | undefined {
    const first = this.maps[pool].keys().next()
    return first.done ? undefined : first.value
  }

  /** Every entry, pool by pool; live like a Map iterator (safe while entries are added and removed). */
  *entries(): Generator<[string, E]> {
    for (const map of Object.values(this.maps)) yield* map.entries()
  }

  *values(): Generator<E> {
    for (const map of Object.values(this.maps)) yield* map.values()
  }
}
