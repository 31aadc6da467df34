// The DBSC header names (current draft and the older Sec-Session-* names) and the few Structured Field forms they use.

/** Header names of the current W3C draft, with the names of the earlier drafts still accepted on requests. */
export const HEADERS = {
  registration: 'secure-session-registration',
  challenge: 'secure-session-challenge',
  response: ['secure-session-response', 'sec-session-response'],
  sessionId: ['sec-secure-session-id', 'sec-session-id'],
} as const

/** An RFC 9651 sf-string. Our values are base64url and paths, but escape anyway. */
export function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/**
 * The string item of a request header: an sf-string (`"value";params`, the current draft) or a bare token
 * (earlier drafts sent the JWT or id unquoted). Parameters are ignored. Undefined when neither.
 */
export function readSfString(header: string | null | undefined): string | undefined {
  if (typeof header !== 'string') return undefined
  const text = header.trim()
  if (text.length === 0 || text.length > 8192) return undefined
  if (!text.startsWith('"'))
    return /^[A-Za-z0-9._~+/=-]+$/.test(text.split(';')[0] as string)
      ? (text.split(';')[0] as string)
      : undefined
  let out = ''
  for (let i = 1; i < text.length; i++) {
    const c = text[i] as string
    if (c === '\\') {
      const next = text[i + 1]
      if (next !== '"' && next !== '\\') return undefined
      out += next
      i++
    } else if (c === '"') {
      const rest = text.slice(i + 1)
      return rest === '' || rest.startsWith(';') ? out : undefined
    } else if (c < ' ' || c > '~') {
      return undefined
    } else {
      out += c
    }
  }
  return undefined
}

/** The first of `names` the request carries. */
export function firstHeader(
  header: (name: string) => string | null | undefined,
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    const value = header(name)
    if (value !== null && value !== undefined) return value
  }
  return undefined
}
