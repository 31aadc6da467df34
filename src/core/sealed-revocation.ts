// Revocation for sealed cookies: one small marker per user in any store ("revoked before T", plus ids ended by logout).
import { HallpassError } from '../errors.ts'
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
