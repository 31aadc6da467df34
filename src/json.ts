// JSON safety for session data, shared by the write path and the store codecs: forbidden keys, safe parse and
// stringify, and the plain-JSON rule (values that survive a round trip unchanged, at most MAX_DATA_DEPTH deep,
// with no lone surrogate in any key or string).
import { HallpassError } from './errors.ts'

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** True for keys that must never appear in session data. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key)
}

/**
 * Why text with a lone surrogate (ill-formed UTF-16) is refused: every store but memory keeps UTF-8, where it
 * becomes U+FFFD, so 'key\uD800' would come back as 'key\uFFFD' (and two such user ids as one).
 */
const LONE_SURROGATE =
  'has a lone surrogate (ill-formed Unicode), which the stores turn into U+FFFD; ' +
  'pass well-formed text (String.prototype.toWellFormed() repairs it)'

/** Why `key` cannot be a top-level session data key (a forbidden name, or a lone surrogate), or undefined. */
export function keyProblem(key: string): string | undefined {
  if (FORBIDDEN_KEYS.has(key)) return `"${key}" cannot be used as a session key`
  return key.isWellFormed() ? undefined : `the key ${JSON.stringify(key)} ${LONE_SURROGATE}`
}

/**
 * Why a NUL character is refused on write (not on load, so data an older version stored still reads): Postgres
 * cannot keep it in text or jsonb, so data that works on one store would fail at commit on another.
 */
const NUL =
  'holds a NUL character (\\u0000), which the Postgres store cannot keep (text and jsonb have none); ' +
  'remove it, or encode binary data (base64)'

/** `keyProblem`, and a NUL character: what a key must not be for a write to any store. */
export function writableKeyProblem(key: string): string | undefined {
  return (
    keyProblem(key) ?? (key.includes('\0') ? `the key ${JSON.stringify(key)} ${NUL}` : undefined)
  )
}

/** Where plain JSON `value` holds a NUL character in a key or string, and why, or undefined. */
function nulProblem(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? `${path} ${NUL}` : undefined
  if (typeof value !== 'object' || value === null) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = nulProblem(value[i], `${path}[${i}]`)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  for (const [key, item] of Object.entries(value)) {
    const at = IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
    if (key.includes('\0')) return `${at}: the key ${NUL}`
    const problem = nulProblem(item, at)
    if (problem !== undefined) return problem
  }
  return undefined
}

/** Text that can spell a forbidden key: the names themselves, or any \u escape. */
const MAY_HOLD_FORBIDDEN = /__proto__|constructor|prototype|\\u/

/** Parses JSON, returning undefined on syntax errors or any forbidden key at any depth. */
export function parseJsonSafe(text: string): unknown {
  if (!MAY_HOLD_FORBIDDEN.test(text)) {
    try {
      return JSON.parse(text) as unknown
    } catch {
      return undefined
    }
  }
  let poisoned = false
  let value: unknown
  try {
    value = JSON.parse(text, (key, v: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) poisoned = true
      return v
    })
  } catch {
    return undefined
  }
  return poisoned ? undefined : value
}

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Text JSON.stringify can write for a forbidden key (it escapes none of their characters). */
const MAY_WRITE_FORBIDDEN = /__proto__|constructor|prototype/

/**
 * JSON text for `value`, or undefined for a value JSON drops (undefined, a function). Throws SESSION_DATA_INVALID
 * when JSON.stringify throws (a cycle, a BigInt) or a forbidden key appears at any depth.
 */
export function stringifyJsonSafe(value: unknown): string | undefined {
  let text: string | undefined
  try {
    text = JSON.stringify(value) as string | undefined
  } catch (cause) {
    throw new HallpassError('SESSION_DATA_INVALID', 'session data must be JSON-serializable', {
      cause,
    })
  }
  if (text === undefined || !MAY_WRITE_FORBIDDEN.test(text)) return text
  let poisoned = false
  JSON.stringify(value, (key, v: unknown) => {
    if (FORBIDDEN_KEYS.has(key)) poisoned = true
    return v
  })
  if (poisoned)
    throw new HallpassError(
      'SESSION_DATA_INVALID',
      'session data must be JSON without __proto__, constructor or prototype keys',
    )
  return text
}

/** Deepest nesting of objects and arrays inside one data value (the same bound on write and on load). */
export const MAX_DATA_DEPTH = 64

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * Why `value` would not come back unchanged from `JSON.parse(JSON.stringify(value))`, naming the
 * path (such as `cart.items[2].added`), or undefined when it is plain JSON. Never recurses deeper
 * than MAX_DATA_DEPTH, so hostile nesting cannot overflow the stack.
 */
export function jsonProblem(value: unknown, path: string): string | undefined {
  return jsonBytesBound(value) >= 0 ? undefined : problemAt(value, path, 0, new Set())
}

/**
 * An upper bound on the UTF-8 bytes `JSON.stringify(value)` writes when `value` is plain JSON nested at most
 * MAX_DATA_DEPTH levels below `depth`, or -1 when it may not be (`jsonProblem` then says why). One pass that
 * builds no paths: the fast check in front of `jsonProblem`, and the size check on load for small data.
 */
export function jsonBytesBound(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'string':
      // A UTF-16 unit is at most 6 bytes of JSON (\u001f), quotes around.
      return value.isWellFormed() ? 2 + 6 * value.length : -1
    case 'boolean':
      return 5
    case 'number':
      return Number.isFinite(value) ? 25 : -1 // the longest number JSON writes: -0.0000012345678901234567
    case 'object':
      break
    default:
      return -1
  }
  if (value === null) return 4
  if (depth >= MAX_DATA_DEPTH || Object.getOwnPropertySymbols(value).length > 0) return -1
  const proto = Object.getPrototypeOf(value) as unknown
  let bytes = 2
  if (Array.isArray(value)) {
    if (proto !== Array.prototype || Object.keys(value).length !== value.length) return -1
    for (const item of value as unknown[]) {
      const size = jsonBytesBound(item, depth + 1)
      if (size < 0) return -1
      bytes += size + 1
    }
    return bytes
  }
  if (proto !== Object.prototype && proto !== null) return -1
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key) || !key.isWellFormed()) return -1
    const size = jsonBytesBound((value as Record<string, unknown>)[key], depth + 1)
    if (size < 0) return -1
    bytes += 2 + 6 * key.length + 1 + size + 1
  }
  return bytes
}

/**
 * Throws SESSION_DATA_INVALID naming the path when `value` is not plain JSON (see `jsonProblem`) or holds a NUL
 * character, which not every store can keep (checked on write only).
 */
export function assertJsonValue(value: unknown, path: string): void {
  const problem = jsonProblem(value, path) ?? nulProblem(value, path)
  if (problem !== undefined)
    throw new HallpassError('SESSION_DATA_INVALID', `session data must be plain JSON: ${problem}`)
}

function problemAt(
  value: unknown,
  path: string,
  depth: number,
  ancestors: Set<object>,
): string | undefined {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? undefined : `${path} ${LONE_SURROGATE}`
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value)
        ? undefined
        : `${path} is ${value}, which JSON turns into null; store a finite number`
    case 'bigint':
      return `${path} is a BigInt, which JSON cannot hold; store it as a string`
    case 'undefined':
      return `${path} is undefined, which JSON drops (or turns into null in an array); remove it or use null`
    case 'function':
    case 'symbol':
      return `${path} is a ${typeof value}, which JSON drops`
  }
  if (value === null) return undefined
  const object = value as object
  if (depth >= MAX_DATA_DEPTH) return `${path} is nested more than ${MAX_DATA_DEPTH} levels deep`
  if (ancestors.has(object)) return `${path} refers back to an object that contains it (a cycle)`
  const kind = shapeOf(object)
  if (kind !== 'array' && kind !== 'object')
    return `${path} is ${kind}, which JSON does not keep; ${kind === 'a Date' ? 'store epoch ms (date.getTime()) or an ISO string (date.toISOString())' : 'store a plain object or array'}`
  if (Object.getOwnPropertySymbols(object).length > 0)
    return `${path} has symbol keys, which JSON drops`
  ancestors.add(object)
  try {
    if (kind === 'array') {
      const array = object as unknown[]
      if (Object.keys(array).length !== array.length)
        return `${path} is a sparse array or has extra properties, which JSON does not keep`
      for (let i = 0; i < array.length; i++) {
        const problem = problemAt(array[i], `${path}[${i}]`, depth + 1, ancestors)
        if (problem !== undefined) return problem
      }
      return undefined
    }
    for (const key of Object.keys(object)) {
      const at = IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
      if (isForbiddenKey(key)) return `${at}: a "${key}" key is not allowed at any depth`
      if (!key.isWellFormed()) return `${at}: the key ${LONE_SURROGATE}`
      const problem = problemAt((object as Record<string, unknown>)[key], at, depth + 1, ancestors)
      if (problem !== undefined) return problem
    }
    return undefined
  } finally {
    ancestors.delete(object)
  }
}

/** 'object' for plain objects, 'array' for plain arrays, else a description such as 'a Date' or 'a Map'. */
function shapeOf(object: object): string {
  if (Array.isArray(object))
    return Object.getPrototypeOf(object) === Array.prototype ? 'array' : 'an array subclass'
  const proto = Object.getPrototypeOf(object) as object | null
  if (proto === Object.prototype || proto === null) return 'object'
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a custom prototype'
}
