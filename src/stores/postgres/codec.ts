// SessionRecords to statement parameters and back: only text crosses the wire, and every row read is checked strictly.
import { HallpassError } from '../../errors.ts'
import { isPlainObject, parseJsonSafe, stringifyJsonSafe } from '../../json.ts'
import { decodeDevice, encodeDevice } from '../device-codec.ts'
import type { DeviceBinding, SessionData, SessionRecord } from '../types.ts'
import type { Row } from './driver.ts'

/** The columns every read selects, in this order, each as text so no client's type parsers are involved. */
export const SELECT_COLUMNS =
  'id, user_id, data::text, created_at::text, last_seen_at::text, expires_at::text, persistent::text, version::text, ' +
  'roles::text, permissions::text, ip, user_agent, device::text, data_version::text'

/** A NUL or a lone surrogate: Postgres refuses the first in text and jsonb, and would turn the second into U+FFFD. */
const UNSTORABLE_CHAR = /[\0\p{Cs}]/u
/** The same two as JSON.stringify escapes them (an escape, not an escaped backslash followed by "u"). */
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i
const INTEGER = /^-?\d{1,16}$/
/** The largest Postgres `integer`, the type of the data_version column. */
const MAX_INTEGER = 2_147_483_647

/** `value` unchanged when Postgres keeps it exactly; INVALID_ARGUMENT naming `what` otherwise. */
export function storableText(value: string, what: string): string {
  if (typeof value !== 'string' || UNSTORABLE_CHAR.test(value)) {
    throw new HallpassError(
      'INVALID_ARGUMENT',
      `the Postgres store cannot keep this ${what}: it must be a string without NUL characters or unpaired surrogates`,
    )
  }
  return value
}

/**
 * JSON text for `value` as jsonb keeps it; SESSION_DATA_INVALID for values JSON cannot hold, forbidden keys, a NUL
 * (jsonb has no \u0000) or an unpaired surrogate (ill-formed Unicode) in any key or string.
 */
export function storableJson(value: unknown, what = 'session data'): string {
  const text = stringifyJsonSafe(value)
  if (text === undefined) throw new HallpassError('SESSION_DATA_INVALID', `${what} must be JSON`)
  return checkedJson(text, what)
}

function checkedJson(text: string, what: string): string {
  if (UNSTORABLE_ESCAPE.test(text)) {
    throw new HallpassError(
      'SESSION_DATA_INVALID',
      `${what} cannot be kept in Postgres: a key or string holds a NUL character (\\u0000) ` +
        'or an unpaired surrogate (ill-formed Unicode)',
    )
  }
  return text
}

/** A whole number of milliseconds as a parameter; INVALID_ARGUMENT otherwise. */
export function integerParam(value: number, what: string): string {
  if (!Number.isSafeInteger(value))
    throw new HallpassError(
      'INVALID_ARGUMENT',
      `postgresStore: ${what} must be a whole number of milliseconds`,
    )
  return String(value)
}

/** A time-to-live as a parameter: rounded up to whole milliseconds, at least 1. */
export function ttlParam(ttl: number): string {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl))
    throw new HallpassError(
      'INVALID_ARGUMENT',
      'postgresStore: ttl must be a finite number of milliseconds',
    )
  return integerParam(Math.max(1, Math.ceil(ttl)), 'ttl')
}

function list(value: readonly string[] | undefined, what: string): string | null {
  if (value === undefined) return null
  if (!Array.isArray(value))
    throw new HallpassError('INVALID_ARGUMENT', `session ${what} must be an array of strings`)
  for (const item of value) storableText(item, `${what} entry`)
  return JSON.stringify(value)
}

/** The device binding as jsonb text, or null. */
export function deviceParam(device: DeviceBinding | null | undefined): string | null {
  return device === undefined || device === null
    ? null
    : checkedJson(encodeDevice(device), 'the device binding')
}

/** The data_version column: NULL for 1 (absent), as SQLite keeps it and as rows of a version-1 app hold it. */
export function dataVersionParam(version: number | undefined): string | null {
  return version === undefined || version === 1 ? null : positiveParam(version, 'dataVersion')
}

/** A whole number from 1 to 2^31 - 1 (a Postgres integer) as a parameter; INVALID_ARGUMENT otherwise. */
function positiveParam(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 1 || value > MAX_INTEGER)
    throw new HallpassError(
      'INVALID_ARGUMENT',
      `postgresStore: ${what} must be a whole number from 1 to ${MAX_INTEGER}`,
    )
  return String(value)
}

/** The data version a patch is written in, or null when it leaves the data version alone. */
export function patchDataVersionParam(version: number | undefined): string | null {
  return version === undefined ? null : positiveParam(version, 'dataVersion')
}

/** Parameters $1..$14 of an insert, in the order of the columns in `INSERT_COLUMNS`. */
export function recordParams(record: SessionRecord): Array<string | null> {
  if (!isPlainObject(record.data))
    throw new HallpassError('SESSION_DATA_INVALID', 'session data must be a plain object')
  const userId = record.userId
  if (userId !== null && (typeof userId !== 'string' || userId.length === 0))
    throw new HallpassError('INVALID_ARGUMENT', 'session userId must be a non-empty string or null')
  return [
    record.id,
    userId === null ? null : storableText(userId, 'user id'),
    storableJson(record.data),
    integerParam(record.createdAt, 'createdAt'),
    integerParam(record.lastSeenAt, 'lastSeenAt'),
    integerParam(record.expiresAt, 'expiresAt'),
    record.persistent ? 'true' : 'false',
    integerParam(record.version, 'version'),
    list(record.roles, 'roles'),
    list(record.permissions, 'permissions'),
    record.ip === undefined ? null : storableText(record.ip, 'ip'),
    record.userAgent === undefined ? null : storableText(record.userAgent, 'user agent'),
    deviceParam(record.device),
    dataVersionParam(record.dataVersion),
  ]
}

/** How many parameters `recordParams` gives: the statements number theirs after these. */
export const RECORD_PARAMS = 14

/** The columns `recordParams` fills, in order. */
export const INSERT_COLUMNS =
  'id, user_id, data, created_at, last_seen_at, expires_at, persistent, version, ' +
  'roles, permissions, ip, user_agent, device, data_version'

/** The casts that turn `recordParams`' text into each column's type, in order ($1 is `$${first}`). */
export function insertValues(first: number): string {
  const casts = [
    '',
    '',
    '::jsonb',
    '::bigint',
    '::bigint',
    '::bigint',
    '::boolean',
    '::bigint',
    '::jsonb',
    '::jsonb',
    '',
    '',
    '::jsonb',
    '::integer',
  ]
  return casts.map((cast, i) => `$${first + i}::text${cast}`).join(', ')
}

function time(value: unknown): number | undefined {
  return typeof value === 'string' && INTEGER.test(value) ? Number(value) : undefined
}

function optionalText(value: unknown): string | null | undefined {
  return value === null || typeof value === 'string' ? value : undefined
}

/** A JSON array of strings, null when the column is NULL, undefined when it holds anything else. */
function decodeList(value: unknown): string[] | null | undefined {
  if (value === null) return null
  const parsed = typeof value === 'string' ? parseJsonSafe(value) : undefined
  return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')
    ? (parsed as string[])
    : undefined
}

/** The record a row (selected with SELECT_COLUMNS) holds, or undefined when any column is not what the store writes. */
export function decodeRow(row: Row): SessionRecord | undefined {
  const [
    id,
    userId,
    dataText,
    created,
    seen,
    expires,
    persistent,
    versionText,
    rolesText,
    permissionsText,
    ip,
    userAgent,
    deviceText,
    dataVersionText,
  ] = row
  if (typeof id !== 'string' || (userId !== null && typeof userId !== 'string')) return undefined
  const createdAt = time(created)
  const lastSeenAt = time(seen)
  const expiresAt = time(expires)
  const version = time(versionText)
  if (
    createdAt === undefined ||
    lastSeenAt === undefined ||
    expiresAt === undefined ||
    version === undefined ||
    version < 0
  )
    return undefined
  if (persistent !== 'true' && persistent !== 'false') return undefined
  const parsed = typeof dataText === 'string' ? parseJsonSafe(dataText) : undefined
  const roles = decodeList(rolesText)
  const permissions = decodeList(permissionsText)
  const device = deviceText === null ? null : decodeDevice(deviceText)
  const ipValue = optionalText(ip)
  const agent = optionalText(userAgent)
  if (
    !isPlainObject(parsed) ||
    roles === undefined ||
    permissions === undefined ||
    device === undefined
  )
    return undefined
  if (ipValue === undefined || agent === undefined) return undefined
  const dataVersion = dataVersionText === null ? 1 : time(dataVersionText)
  if (dataVersion === undefined || dataVersion < 1) return undefined
  return {
    id,
    userId,
    data: parsed as SessionData,
    createdAt,
    lastSeenAt,
    expiresAt,
    persistent: persistent === 'true',
    version,
    ...(roles !== null && { roles }),
    ...(permissions !== null && { permissions }),
    ...(ipValue !== null && { ip: ipValue }),
    ...(agent !== null && { userAgent: agent }),
    ...(device !== null && { device }),
    ...(dataVersion !== 1 && { dataVersion }),
  }
}
