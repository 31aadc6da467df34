// Redis key names and the compact hash layout of one session record, with a strict decoder for untrusted data.
import { TAG_LENGTH, userTag } from '../../crypto/token.ts'
import { isForbiddenKey, isPlainObject, parseJsonSafe, stringifyJsonSafe } from '../../json.ts'
import { HallpassError } from '../../errors.ts'
import { decodeDevice, encodeDevice, MAX_DEVICE_BYTES } from '../device-codec.ts'
import {
  fullUserAgent,
  MAX_USER_AGENT_LENGTH,
  shortUserAgent as shortForm,
} from '../user-agent-codec.ts'
import type { DeviceBinding, SessionData, SessionRecord } from '../types.ts'

/**
 * Longest field or value Redis keeps in a compact listpack hash (`hash-max-listpack-value`, 64 by default).
 * Our own long metadata (user agent, roles) is split into pieces of at most this many bytes so that one long
 * header never converts the whole hash to a hashtable, which costs about 4x the memory.
 */
export const CHUNK_BYTES = 64

/** Metadata fields that may be split into chunks: roles, permissions (m), ip, user agent (b; a with a control character), device key (k). */
const CHUNKED = new Set(['r', 'm', 'i', 'a', 'b', 'k'])
const CHUNK_FIELD = /^([rmiabk])([1-9]\d{0,2})$/
const INTEGER = /^-?\d{1,16}$/

/** The routing tag of an id: its first TAG_LENGTH characters, used as the Redis Cluster hash tag. */
export function tagOf(id: string): string {
  return id.slice(0, TAG_LENGTH)
}

/** The prefix `redisStore()` uses unless given `prefix`. */
export const DEFAULT_PREFIX = 'hp:'

/** A hallpass key under any prefix (a session, a tombstone or a user index); group 1 is the prefix. */
export const HALLPASS_KEY = /^([^{}]{0,64})\{[A-Za-z0-9_-]{4}\}(?:[A-Za-z0-9_-]{22}|u:[\s\S]*)$/

/** Key naming under one prefix. Session: `<prefix>{<tag>}<rest of id>`; user index: `<prefix>{<userTag>}u:<userId>`. */
export class Keys {
  constructor(readonly prefix: string) {}

  session(id: string): string {
    return `${this.prefix}{${tagOf(id)}}${id.slice(TAG_LENGTH)}`
  }

  index(userId: string): string {
    return `${this.prefix}{${userTag(userId)}}u:${userId}`
  }
}

function integer(value: number, what: string): string {
  if (!Number.isSafeInteger(value))
    throw new HallpassError(
      'INVALID_ARGUMENT',
      `session ${what} must be an integer number of milliseconds`,
    )
  return String(value)
}

/** Splits `value` into pieces of at most CHUNK_BYTES UTF-8 bytes, never inside a character. */
function chunks(value: string): string[] {
  const pieces: string[] = []
  let current = ''
  let bytes = 0
  for (const char of value) {
    const size = Buffer.byteLength(char)
    if (bytes + size > CHUNK_BYTES) {
      pieces.push(current)
      current = ''
      bytes = 0
    }
    current += char
    bytes += size
  }
  pieces.push(current)
  return pieces
}

function pushChunked(fields: string[], name: string, value: string): void {
  chunks(value).forEach((piece, i) => fields.push(i === 0 ? name : `${name}${i}`, piece))
}

/** The field name holding data key `key` (data fields are prefixed so they never collide with metadata). */
export function dataField(key: string): string {
  if (isForbiddenKey(key))
    throw new HallpassError('SESSION_DATA_INVALID', `"${key}" cannot be used as a session key`)
  return `.${key}`
}

/** JSON for one data value, or undefined for values JSON drops (undefined, functions). Throws SESSION_DATA_INVALID. */
export function dataValue(value: unknown): string | undefined {
  return stringifyJsonSafe(value)
}

/**
 * The HSET field/value list for a new record. The user's index tag (`t`) is written only when it differs from
 * the id's own tag, which never happens for ids the manager issues. The user agent is kept in its short form
 * (`b`), or as it is (`a`) only when it holds a control character, which the short form cannot tell from its codes.
 */
export function encodeHash(record: SessionRecord): string[] {
  const created = record.createdAt
  const fields = [
    'c',
    integer(created, 'createdAt'),
    'l',
    integer(record.lastSeenAt - created, 'lastSeenAt'),
    'e',
    integer(record.expiresAt - created, 'expiresAt'),
    'v',
    integer(record.version, 'version'),
  ]
  if (record.userId !== null) {
    if (typeof record.userId !== 'string' || record.userId.length === 0)
      throw new HallpassError(
        'INVALID_ARGUMENT',
        'session userId must be a non-empty string or null',
      )
    fields.push('u', record.userId)
    const indexTag = userTag(record.userId)
    if (indexTag !== tagOf(record.id)) fields.push('t', indexTag)
  }
  if (record.persistent) fields.push('p', '1')
  if (record.roles !== undefined) pushChunked(fields, 'r', JSON.stringify(record.roles))
  if (record.permissions !== undefined) pushChunked(fields, 'm', JSON.stringify(record.permissions))
  if (record.ip !== undefined) pushChunked(fields, 'i', record.ip)
  if (record.userAgent !== undefined) {
    const short = shortForm(record.userAgent)
    if (short === undefined) pushChunked(fields, 'a', record.userAgent)
    else pushChunked(fields, 'b', short)
  }
  if (record.device !== undefined) pushChunked(fields, 'k', encodeDevice(record.device))
  if (!isPlainObject(record.data))
    throw new HallpassError('SESSION_DATA_INVALID', 'session data must be a plain object')
  for (const [key, value] of Object.entries(record.data)) {
    const json = dataValue(value)
    if (json !== undefined) fields.push(dataField(key), json)
  }
  return fields
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  return undefined
}

/** Field/value pairs from an HGETALL reply in any shape the clients produce (flat array, Map, object). */
export function replyPairs(reply: unknown): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = []
  const add = (field: unknown, value: unknown): boolean => {
    const f = text(field)
    const v = text(value)
    if (f === undefined || v === undefined) return false
    pairs.push([f, v])
    return true
  }
  if (Array.isArray(reply)) {
    if (reply.length % 2 !== 0) return undefined
    for (let i = 0; i < reply.length; i += 2) if (!add(reply[i], reply[i + 1])) return undefined
  } else if (reply instanceof Map) {
    for (const [field, value] of reply) if (!add(field, value)) return undefined
  } else if (isPlainObject(reply)) {
    for (const [field, value] of Object.entries(reply)) if (!add(field, value)) return undefined
  } else if (reply !== null && reply !== undefined) {
    return undefined
  }
  return pairs
}

function stringList(json: string): string[] | undefined {
  const value = parseJsonSafe(json)
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined
}

/**
 * Decodes a session hash. Returns null for an empty reply and 'corrupt' for anything we did not write:
 * unknown fields, bad integers, invalid JSON, non-object data or forbidden keys at any depth.
 */
export function decodeHash(id: string, reply: unknown): SessionRecord | null | 'corrupt' {
  const pairs = replyPairs(reply)
  if (pairs === undefined) return 'corrupt'
  if (pairs.length === 0) return null
  const meta = new Map<string, string>()
  const pieces = new Map<string, string[]>()
  const data: SessionData = {}
  for (const [field, value] of pairs) {
    if (field.startsWith('.')) {
      const key = field.slice(1)
      const parsed = parseJsonSafe(value)
      if (isForbiddenKey(key) || parsed === undefined) return 'corrupt'
      data[key] = parsed
      continue
    }
    const chunk = CHUNKED.has(field) ? [field, '0'] : CHUNK_FIELD.exec(field)?.slice(1)
    if (chunk) {
      const [name, index] = chunk as [string, string]
      const list = pieces.get(name) ?? []
      list[Number(index)] = value
      pieces.set(name, list)
    } else if (['c', 'l', 'e', 'v', 'u', 't', 'p'].includes(field)) {
      meta.set(field, value)
    } else {
      return 'corrupt'
    }
  }
  const joined = new Map<string, string>()
  for (const [name, list] of pieces) {
    for (let i = 0; i < list.length; i++) if (list[i] === undefined) return 'corrupt'
    joined.set(name, list.join(''))
  }
  const numbers = ['c', 'l', 'e', 'v'].map((name) => meta.get(name))
  if (!numbers.every((n): n is string => n !== undefined && INTEGER.test(n))) return 'corrupt'
  const [created, seen, expires, version] = numbers.map(Number) as [number, number, number, number]
  const userId = meta.get('u')
  const persistent = meta.get('p')
  if (version < 0 || userId === '' || (persistent !== undefined && persistent !== '1'))
    return 'corrupt'
  const roles = joined.has('r') ? stringList(joined.get('r') as string) : undefined
  const permissions = joined.has('m') ? stringList(joined.get('m') as string) : undefined
  if ((joined.has('r') && !roles) || (joined.has('m') && !permissions)) return 'corrupt'
  const ip = joined.get('i')
  const userAgent = joined.has('b')
    ? fullUserAgent(joined.get('b') as string, MAX_USER_AGENT_LENGTH)
    : joined.get('a')
  if (joined.has('b') && (userAgent === undefined || joined.has('a'))) return 'corrupt'
  // One encoding per value: `a` only for what the short form cannot hold.
  if (joined.has('a') && shortForm(userAgent as string) !== undefined) return 'corrupt'
  const device = joined.has('k') ? decodeDevice(joined.get('k')) : undefined
  if (joined.has('k') && !device) return 'corrupt'
  return {
    id,
    userId: userId ?? null,
    data,
    createdAt: created,
    lastSeenAt: created + seen,
    expiresAt: created + expires,
    persistent: persistent === '1',
    version,
    ...(roles && { roles }),
    ...(permissions && { permissions }),
    ...(ip !== undefined && { ip }),
    ...(userAgent !== undefined && { userAgent }),
    ...(device && { device }),
  }
}

/** The hash fields a patch sets and deletes to replace (or, with null, remove) the device binding. */
export function deviceFields(device: DeviceBinding | null): { set: string[]; unset: string[] } {
  const set: string[] = []
  if (device !== null) {
    const json = encodeDevice(device)
    if (Buffer.byteLength(json) > MAX_DEVICE_BYTES)
      throw new HallpassError('INVALID_ARGUMENT', 'the device binding is too large')
    pushChunked(set, 'k', json)
  }
  const unset: string[] = []
  for (let i = set.length / 2; i < MAX_DEVICE_BYTES / CHUNK_BYTES; i++)
    unset.push(i === 0 ? 'k' : `k${i}`)
  return { set, unset }
}
