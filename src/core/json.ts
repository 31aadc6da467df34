// JSON helpers that refuse prototype-polluting keys and non-JSON values.

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** True for keys that must never appear in session data. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key)
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
