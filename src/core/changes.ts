// The request's working copy of session data and which keys it set or removed since the last write.
import type { SessionData } from '../stores/types.ts'
import { cloneData } from './data.ts'

/**
 * Working data plus the keys changed since it was last persisted. The key sets are made on the first change, and
 * emptied only when they hold something (`Set.clear()` allocates even when empty): a read allocates none.
 */
export class TrackedData<D extends SessionData> {
  private changed: Set<string> | undefined = undefined
  private removed: Set<string> | undefined = undefined

  constructor(public data: Partial<D>) {}

  /** True when a key was set or removed since the last `reset`. */
  get dirty(): boolean {
    return this.hasSets || (this.removed !== undefined && this.removed.size > 0)
  }

  /** True when a key was set (not only removed). */
  get hasSets(): boolean {
    return this.changed !== undefined && this.changed.size > 0
  }

  set(key: string, value: unknown): void {
    ;(this.data as Record<string, unknown>)[key] = value
    ;(this.changed ??= new Set()).add(key)
    this.removed?.delete(key)
  }

  delete(key: string): void {
    if (!Object.hasOwn(this.data, key)) return
    delete (this.data as Record<string, unknown>)[key]
    this.changed?.delete(key)
    ;(this.removed ??= new Set()).add(key)
  }

  /** The patch for a store: changed keys with their values, and removed keys. */
  patch(): { set: SessionData; unset: string[] } {
    const set: SessionData = {}
    if (this.changed) for (const key of this.changed) set[key] = (this.data as SessionData)[key]
    return {
      set,
      unset: this.removed !== undefined && this.removed.size > 0 ? [...this.removed] : [],
    }
  }

  /** Only the keys set since the last write, as an overlay for `update()`. */
  pending(): Partial<D> {
    return this.patch().set as Partial<D>
  }

  /** Starts over from persisted data: nothing is pending. */
  reset(data: Partial<D> = this.data): void {
    this.data = data === this.data ? data : cloneData(data)
    if (this.changed !== undefined && this.changed.size > 0) this.changed.clear()
    if (this.removed !== undefined && this.removed.size > 0) this.removed.clear()
  }
}
