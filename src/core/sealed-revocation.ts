// Revocation for sealed cookies: one small marker per user in any store ("revoked before T", plus ids ended by logout),
// and a short tombstone per id rotated away by login or regenerate.
import { HallpassError } from '../errors.ts'
import { isTombstone, ROTATION_GRACE_MS, tombstoneFor } from '../stores/tombstone.ts'
import type { SessionRecord, Store } from '../stores/types.ts'
import { isPlainObject } from '../json.ts'
import { compareAndSwap, LOST } from './compare-and-swap.ts'
import { userTag } from '../crypto/token.ts'
import { sha256 } from '../crypto/mac.ts'

/** Id of a user's revocation timestamp record (in the user's routing slot). */
export function revocationId(userId: string): string {
  return `${userTag(userId)}rv${sha256(`hallpass:revoked:${userId}`).slice(0, 20)}`
}

/** Most logged-out ids remembered per user; the oldest are dropped first (they expire anyway). */
const MAX_ENDED = 200
const MAX_ATTEMPTS = 20

type Ended = Record<string, number>

/**
 * Whether a sealed record still stands: `live`; `rotated` a moment ago by another request (login, regenerate: the
 * browser already holds the newer cookie, so nothing is cleared or re-sealed); or `revoked` (logout, revoke).
 */
export type Standing = 'live' | 'rotated' | 'revoked'

/** Reads and writes the per-user revocation marker. Store errors propagate (the manager turns them into STORE_UNAVAILABLE). */
export class SealedRevocation {
  constructor(
    /** The store holding the markers. */
    readonly store: Store,
    private readonly clock: () => number,
    /** How long a marker must outlive its newest entry: the longest a sealed session can live. */
    private readonly ttl: number,
  ) {}

  /** True when the user revoked all sessions after this one was issued, or this one was logged out. */
  async isRevoked(record: SessionRecord & { userId: string }): Promise<boolean> {
    const marker = await this.store.get(revocationId(record.userId))
    if (!marker || marker === 'corrupt') return false
    const { revokedAt, ended } = marker.data
    if (typeof revokedAt === 'number' && (record.issuedAt ?? record.createdAt) < revokedAt)
      return true
    return isPlainObject(ended) && typeof ended[record.id] === 'number'
  }

  /**
   * The record's standing, at a load or before a write re-seals it. A signed-in record costs one read (two when
   * refused); an anonymous one is only checked at a write (one read, for a tombstone). An anonymous cookie carries
   * no privilege, so when the store cannot be asked it stands (an outage costs it only the race protection).
   */
  async standing(record: SessionRecord, at: 'load' | 'write'): Promise<Standing> {
    if (record.userId === null) {
      const rotated = at === 'write' && (await this.wasRotated(record.id).catch(() => false))
      return rotated ? 'rotated' : 'live'
    }
    if (!(await this.isRevoked(record as SessionRecord & { userId: string }))) return 'live'
    return (await this.wasRotated(record.id)) ? 'rotated' : 'revoked'
  }

  /**
   * Login or regenerate replaced `record`: a tombstone under its id for the grace period, written first, then (signed
   * in) the id is ended for good, so the old cookie is refused and, after the grace, cleared. For an anonymous record
   * the tombstone is all there is, and an outage does not stop the login.
   */
  async rotated(record: SessionRecord, now: number): Promise<void> {
    const stone = this.store.create(tombstoneFor(record.id, now, ROTATION_GRACE_MS), {
      ttl: ROTATION_GRACE_MS,
    })
    if (record.userId === null) {
      await stone.catch(() => undefined)
      return
    }
    await stone
    await this.end(record.userId, record.id, record.expiresAt)
  }

  private async wasRotated(id: string): Promise<boolean> {
    const found = await this.store.get(id)
    return found !== null && found !== 'corrupt' && isTombstone(found)
  }

  /** Every sealed session of the user issued before now is refused from now on. */
  async revokeAll(userId: string): Promise<void> {
    await this.write(userId, () => ({ revokedAt: this.clock(), ended: {} }))
  }

  /** Refuses one sealed session (logout) until it would have expired anyway. */
  async end(userId: string, id: string, expiresAt: number): Promise<void> {
    await this.write(userId, (data) => {
      const now = this.clock()
      const kept = Object.entries(isPlainObject(data.ended) ? (data.ended as Ended) : {}).filter(
        ([, until]) => typeof until === 'number' && until > now,
      )
      kept.push([id, expiresAt])
      kept.sort((a, b) => b[1] - a[1])
      return { ...data, ended: Object.fromEntries(kept.slice(0, MAX_ENDED)) }
    })
  }

  /** Read-modify-write of the marker with compare-and-swap, creating it when absent. */
  private async write(
    userId: string,
    change: (data: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<void> {
    const id = revocationId(userId)
    const policy = {
      attempts: MAX_ATTEMPTS,
      what: 'the revocation marker',
      exhausted: () =>
        new HallpassError(
          'STORE_UNAVAILABLE',
          `the revocation marker kept changing (${MAX_ATTEMPTS} compare-and-swap attempts); the revocation store is overloaded`,
        ),
    }
    await compareAndSwap(policy, async () => {
      const current = await this.store.get(id)
      const now = this.clock()
      if (!current || current === 'corrupt') {
        const marker: SessionRecord = {
          id,
          userId: null,
          data: change({}),
          createdAt: now,
          lastSeenAt: now,
          expiresAt: now + this.ttl,
          persistent: false,
          version: 1,
        }
        await this.store.create(marker, { ttl: this.ttl, replaces: id })
        return true
      }
      const next = change(current.data)
      const result = await this.store.patch(id, {
        set: next,
        unset: Object.keys(current.data).filter((key) => !(key in next)),
        ttl: this.ttl,
        expectVersion: current.version,
      })
      return result === 'ok' ? true : LOST
    })
  }
}
