// Turns SessionRecords into SQLite rows and back, refusing any row that does not decode to a well-formed record.
import { HallpassError } from '../../errors.ts'
import { isPlainObject, parseJsonSafe, stringifyJsonSafe } from '../../json.ts'
import { decodeDevice, encodeDevice } from '../device-codec.ts'
import type { SessionData, SessionRecord } from '../types.ts'

/** A row as SQLite hands it back: nothing about its types is trusted. */
export interface Row {
  readonly id: unknown
  readonly user_id: unknown
  readonly data: unknown
  readonly created_at: unknown
  readonly last_seen_at: unknown
  readonly expires_at: unknown
  readonly persistent: unknown
  readonly version: unknown
  readonly roles: unknown
  readonly permissions: unknown
  readonly ip: unknown
  readonly user_agent: unknown
  readonly drop_at: unknown
  readonly device: unknown
  readonly data_version: unknown
}

/** The values bound by the insert statement, in column order. */
export type RowValues = [
  id: string,
  userId: string | null,
  data: string,
  createdAt: number,
  lastSeenAt: number,
  expiresAt: number,
  persistent: 0 | 1,
  version: number,
  roles: string | null,
  permissions: string | null,
  ip: string | null,
  userAgent: string | null,
  dropAt: number,
  device: string | null,
  dataVersion: number | null,
]

/** Serializes session data to JSON text; throws SESSION_DATA_INVALID on forbidden keys or values JSON cannot hold. */
export function encodeJson(value: unknown): string {
  const text = stringifyJsonSafe(value)
  if (text === undefined)
    throw new HallpassError(
      'SESSION_DATA_INVALID',
      'session data must be JSON without __proto__, constructor or prototype keys',
    )
  return text
}

/** The insert values for a record that the store may drop at `dropAt` (epoch ms). */
export function encodeRow(record: SessionRecord, dropAt: number): RowValues {
  return [
    record.id,
    record.userId,
    encodeJson(record.data),
    record.createdAt,
    record.lastSeenAt,
    record.expiresAt,
    record.persistent ? 1 : 0,
    record.version,
    record.roles === undefined ? null : encodeJson(record.roles),
    record.permissions === undefined ? null : encodeJson(record.permissions),
    record.ip ?? null,
    record.userAgent ?? null,
    dropAt,
    record.device === undefined ? null : encodeDevice(record.device),
    encodeDataVersion(record.dataVersion),
  ]
}

/** The data_version column: NULL for 1 (as rows from before data versions hold). */
export function encodeDataVersion(version: number | undefined): number | null {
  return version === undefined || version === 1 ? null : version
}

/** Parses stored data text into a fresh plain object, or undefined when it is not one. */
export function decodeData(text: unknown): SessionData | undefined {
  const data = typeof text === 'string' ? parseJsonSafe(text) : undefined
  return isPlainObject(data) ? data : undefined
}

/** The record a row holds, or undefined when any column has the wrong type or undecodable JSON. */
export function decodeRow(row: Row): SessionRecord | undefined {
  const {
    id,
    user_id: userId,
    created_at: createdAt,
    last_seen_at: lastSeenAt,
    expires_at: expiresAt,
    version,
  } = row
  if (typeof id !== 'string' || (userId !== null && typeof userId !== 'string')) return undefined
  if (!isTime(createdAt) || !isTime(lastSeenAt) || !isTime(expiresAt) || !isTime(row.drop_at))
    return undefined
  if (!Number.isSafeInteger(version) || (row.persistent !== 0 && row.persistent !== 1))
    return undefined
  if (!isOptionalString(row.ip) || !isOptionalString(row.user_agent)) return undefined
  const dataVersion = row.data_version ?? null
  if (dataVersion !== null && (!Number.isSafeInteger(dataVersion) || (dataVersion as number) < 1))
    return undefined
  const data = decodeData(row.data)
  const roles = decodeList(row.roles)
  const permissions = decodeList(row.permissions)
  const device = row.device === null ? null : decodeDevice(row.device)
  if (data === undefined || roles === false || permissions === false || device === undefined)
    return undefined
  return {
    id,
    userId,
    data,
    createdAt,
    lastSeenAt,
    expiresAt,
    persistent: row.persistent === 1,
    version: version as number,
    ...(roles !== null && { roles }),
    ...(permissions !== null && { permissions }),
    ...(typeof row.ip === 'string' && { ip: row.ip }),
    ...(typeof row.user_agent === 'string' && { userAgent: row.user_agent }),
    ...(device !== null && { device }),
    ...(dataVersion !== null && dataVersion !== 1 && { dataVersion: dataVersion as number }),
  }
}

/** True when a stored drop time says the row is past its TTL (a non-number is left to the decoder). */
export function isExpired(dropAt: unknown, now: number): boolean {
  return typeof dropAt === 'number' && dropAt <= now
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function isOptionalString(value: unknown): boolean {
  return value === null || typeof value === 'string'
}

/** A JSON array of strings, null when the column is empty, false when it holds anything else. */
function decodeList(value: unknown): string[] | null | false {
  if (value === null) return null
  const list = typeof value === 'string' ? parseJsonSafe(value) : undefined
  return Array.isArray(list) && list.every((item) => typeof item === 'string')
    ? (list as string[])
    : false
}
