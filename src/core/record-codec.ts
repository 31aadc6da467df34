// Compact JSON form of a session record for sealed cookies, decoded defensively.
import type { SessionRecord } from '../stores/types.ts'
import { isPlainObject, parseJsonSafe } from '../json.ts'

/** Short keys keep sealed cookies small. */
interface Compact {
  i: string
  u: string | null
  d: Record<string, unknown>
  c: number
  s: number
  e: number
  p?: 1
  v: number
  n?: number
  r?: readonly string[]
  m?: readonly string[]
  /** The data version, when not 1. */
  w?: number
}

/** JSON text for a record (ip and user agent are left out of cookies unless present). */
export function encodeRecordJson(record: SessionRecord): string {
  const compact: Compact = {
    i: record.id,
    u: record.userId,
    d: record.data,
    c: record.createdAt,
    s: record.lastSeenAt,
    e: record.expiresAt,
    v: record.version,
  }
  if (record.persistent) compact.p = 1
  if (record.issuedAt !== undefined) compact.n = record.issuedAt
  if (record.roles) compact.r = record.roles
  if (record.permissions) compact.m = record.permissions
  if (record.dataVersion !== undefined && record.dataVersion !== 1) compact.w = record.dataVersion
  return JSON.stringify(compact)
}

/** The record, or undefined when the text is not a well-formed record. */
export function decodeRecordJson(text: string): SessionRecord | undefined {
  const c = parseJsonSafe(text)
  if (!isPlainObject(c)) return undefined
  const { i, u, d, s, e, v, n, r, m, w } = c
  if (typeof i !== 'string' || (u !== null && typeof u !== 'string') || !isPlainObject(d))
    return undefined
  if (![c.c, s, e, v].every(Number.isFinite) || (n !== undefined && !Number.isFinite(n)))
    return undefined
  if ((r !== undefined && !isStringArray(r)) || (m !== undefined && !isStringArray(m)))
    return undefined
  if (w !== undefined && (!Number.isSafeInteger(w) || (w as number) < 2)) return undefined
  return {
    id: i,
    userId: u,
    data: d,
    createdAt: c.c as number,
    lastSeenAt: s as number,
    expiresAt: e as number,
    persistent: c.p === 1,
    version: v as number,
    ...(n !== undefined && { issuedAt: n as number }),
    ...(r !== undefined && { roles: r }),
    ...(m !== undefined && { permissions: m }),
    ...(w !== undefined && { dataVersion: w as number }),
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}
