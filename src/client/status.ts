// Parses the status endpoint's answer (epoch ms or ISO timestamps) and estimates the server's clock offset.
import type { ClientSessionInfo } from './types.ts'

/** A parsed status answer: who is signed in, or nobody. */
export type StatusResult<U> =
  | { readonly authenticated: false }
  | { readonly authenticated: true; readonly user: U; readonly session: ClientSessionInfo }

/** Epoch ms from a number or an ISO string; undefined for anything else. */
export function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value === 'string' && value.length > 0 && value.length <= 64) {
    const ms = Date.parse(value)
    return Number.isFinite(ms) ? ms : undefined
  }
  return undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads `session` from the status body; undefined when any field is missing or malformed. */
export function parseSessionInfo(value: unknown): ClientSessionInfo | undefined {
  if (!isRecord(value) || typeof value['id'] !== 'string') return undefined
  const createdAt = toEpochMs(value['createdAt'])
  const expiresAt = toEpochMs(value['expiresAt'])
  const idleExpiresAt = toEpochMs(value['idleExpiresAt'])
  if (createdAt === undefined || expiresAt === undefined || idleExpiresAt === undefined)
    return undefined
  return { id: value['id'], createdAt, expiresAt, idleExpiresAt }
}

/** Validates a status body. Throws a plain Error when it does not follow the contract. */
export function parseStatus<U>(body: unknown): StatusResult<U> {
  if (!isRecord(body) || typeof body['authenticated'] !== 'boolean') {
    throw new Error(
      'hallpass/client: the status endpoint must answer { authenticated: boolean, ... }',
    )
  }
  if (!body['authenticated']) return { authenticated: false }
  const session = parseSessionInfo(body['session'])
  if (!session) {
    throw new Error(
      'hallpass/client: an authenticated status needs session { id, createdAt, expiresAt, idleExpiresAt }',
    )
  }
  return { authenticated: true, user: (body['user'] ?? null) as U, session }
}

/**
 * How far the server's clock is ahead of this browser's (ms), from the response's `Date` header, so
 * deadlines are timed on the server's clock. Zero when the header is consistent with equal clocks;
 * otherwise a lower bound of the true offset, so a deadline is never brought forward.
 */
export function serverOffset(
  dateHeader: string | null,
  sentAt: number,
  receivedAt: number,
): number {
  const serverMs = dateHeader ? Date.parse(dateHeader) : Number.NaN
  if (!Number.isFinite(serverMs)) return 0
  // The server stamped a time in [serverMs, serverMs + 1s) at some moment in [sentAt, receivedAt] of ours.
  if (serverMs <= receivedAt && serverMs + 1_000 > sentAt) return 0
  return serverMs - receivedAt
}

/** True when two JSON-like values hold the same data (used to keep object identity stable). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true
  try {
    return JSON.stringify(a) === JSON.stringify(b)
  } catch {
    return false
  }
}
