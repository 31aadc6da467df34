// `Store.stats()`: counts for `hallpass sessions stats`, and one way to tally them from a store's live sessions.

/** What `hallpass sessions stats` prints. Counts live (unexpired) sessions only. */
export interface StoreStats {
  /** Live sessions, signed in or not. */
  readonly sessions: number
  /** Distinct users with at least one live session. */
  readonly users: number
  /** Live sessions without a user (data only, such as a cart). */
  readonly anonymous: number
  /** The most live sessions one user has. */
  readonly maxPerUser: number
  /** Live sessions the store drops (idle or absolute timeout) within the window asked for. */
  readonly expiring: number
}

/** Tallies sessions one at a time: `add` each live session's user and drop time, then `result()`. */
export class StatsTally {
  private sessions = 0
  private anonymous = 0
  private expiring = 0
  private readonly perUser = new Map<string, number>()

  constructor(private readonly expiringBefore: number) {}

  add(userId: string | null, dropAt: number): void {
    this.sessions += 1
    if (dropAt <= this.expiringBefore) this.expiring += 1
    if (userId === null) this.anonymous += 1
    else this.perUser.set(userId, (this.perUser.get(userId) ?? 0) + 1)
  }

  result(): StoreStats {
    let maxPerUser = 0
    for (const count of this.perUser.values()) maxPerUser = Math.max(maxPerUser, count)
    return {
      sessions: this.sessions,
      users: this.perUser.size,
      anonymous: this.anonymous,
      maxPerUser,
      expiring: this.expiring,
    }
  }
}
