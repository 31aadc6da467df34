// Tombstones: what a rotated-away session id becomes for a short while, so a late request with the old cookie is recognized.
import type { SessionRecord } from './types.ts'

/**
 * How long a rotated-away id stays a tombstone: a request still in flight with the old cookie is then
 * anonymous without clearing the browser's new cookie. Longer than any request should take.
 */
export const ROTATION_GRACE_MS = 5 * 60_000

/**
 * A tombstone is a record with version 0 (live records start at 1), no user and no data. It never
 * authenticates anyone and is never patched: it only tells the manager "this id was rotated a moment
 * ago", so a request still carrying the old cookie is anonymous without clearing the browser's new cookie.
 */
export function isTombstone(record: SessionRecord): boolean {
  return record.version === 0
}

/** The tombstone a store writes under `id` at `at` (the new record's lastSeenAt, the manager's clock), kept for `ttl` ms. */
export function tombstoneFor(id: string, at: number, ttl: number): SessionRecord {
  return {
    id,
    userId: null,
    data: {},
    createdAt: at,
    lastSeenAt: at,
    expiresAt: at + ttl,
    persistent: false,
    version: 0,
  }
}
