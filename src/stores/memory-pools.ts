// The memory store's entries in two recency-ordered pools, anonymous and signed-in, behind one Map-like face.

/** Which pool an entry lives in: anonymous records never take room from signed-in ones. */
export type PoolName = 'anonymous' | 'signedIn'

/** An entry that knows its pool (fixed when it is created). */
export interface Pooled {
  readonly pool: PoolName
}

/**
 * Two Maps whose insertion order is write order: `set` puts an entry last in its pool, so the first key of
 * a pool is its least recently written entry. Lookups try both pools.
 */
export class Pools<E extends Pooled> {
  private readonly maps: Record<PoolName, Map<string, E>> = {
    anonymous: new Map(),
    signedIn: new Map(),
  }

  get size(): number {
    return this.maps.anonymous.size + this.maps.signedIn.size
  }

  /** How many entries the pool holds (expired ones not yet swept included). */
  count(pool: PoolName): number {
    return this.maps[pool].size
  }

  get(id: string): E | undefined {
    return this.maps.anonymous.get(id) ?? this.maps.signedIn.get(id)
  }

  /** Stores the entry as the most recently written of its pool. */
  set(id: string, entry: E): void {
    this.delete(id)
    this.maps[entry.pool].set(id, entry)
  }

  delete(id: string): boolean {
    return this.maps.anonymous.delete(id) || this.maps.signedIn.delete(id)
  }

  /** The id of the pool's least recently written entry. */
  oldest(pool: PoolName): string | undefined {
    const first = this.maps[pool].keys().next()
    return first.done ? undefined : first.value
  }

  /** Every entry, anonymous first; live like a Map iterator (safe while entries are added and removed). */
  *entries(): Generator<[string, E]> {
    yield* this.maps.anonymous.entries()
    yield* this.maps.signedIn.entries()
  }

  *values(): Generator<E> {
    yield* this.maps.anonymous.values()
    yield* this.maps.signedIn.values()
  }
}
