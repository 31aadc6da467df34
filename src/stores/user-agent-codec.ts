// A lossless short form of User-Agent strings for stores that pay per byte: common browser phrases become one control character.

/** A session keeps at most this many characters of a User-Agent (src/core/session.ts cuts it; a store refuses more). */
export const MAX_USER_AGENT_LENGTH = 512

/**
 * The phrases, in the order the encoder tries them (a longer phrase before any phrase it contains). The first
 * code in CODES stands for the first phrase, and so on. Append only: stored values depend on the order.
 */
const PHRASES = [
  'Mozilla/5.0 (',
  'Windows NT 10.0; Win64; x64) ',
  'Macintosh; Intel Mac OS X 10_15_7) ',
  'X11; Linux x86_64) ',
  'AppleWebKit/537.36 (KHTML, like Gecko) ',
  'AppleWebKit/605.1.15 (KHTML, like Gecko) ',
  ' Mobile Safari/537.36',
  ' Safari/537.36',
  ' Safari/605.1.15',
  'Chrome/',
  '.0.0.0',
  'Version/',
  ' Mobile/15E148',
  'iPhone; CPU iPhone OS ',
  ' like Mac OS X) ',
  'Linux; Android ',
  'Gecko/20100101 Firefox/',
  'rv:',
  ' Edg/',
] as const

/** Control characters never appear in a User-Agent header (HTTP forbids them), so they are free to use as codes. */
const CONTROL = /[\x00-\x1f\x7f]/
/** The codes: control characters but tab, line feed and carriage return, so redis-cli and MONITOR show one line. */
const CODES = [...Array(32).keys()]
  .filter((c) => c > 0 && c !== 9 && c !== 10 && c !== 13)
  .slice(0, PHRASES.length)
  .map((c) => String.fromCharCode(c))
const ENCODE = new RegExp(
  PHRASES.map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'),
  'g',
)
const CODE_OF = new Map<string, string>(PHRASES.map((p, i) => [p, CODES[i] as string]))
const PHRASE_OF = new Map<string, string>(PHRASES.map((p, i) => [CODES[i] as string, p]))
const DECODE = /[\x00-\x1f\x7f]/g

/**
 * The short form of `userAgent`, or undefined when it contains a control character (it is then stored as it
 * is: the short form could not tell its own codes from the text).
 */
export function shortUserAgent(userAgent: string): string | undefined {
  if (CONTROL.test(userAgent)) return undefined
  return userAgent.replace(ENCODE, (phrase) => CODE_OF.get(phrase) as string)
}

/**
 * The User-Agent a short form stands for, or undefined when it holds a control character that is not a code,
 * or when it (or what it stands for) is longer than `maxLength`: checked before expanding, so a hostile value
 * of a few bytes per code cannot make a huge string.
 */
export function fullUserAgent(
  short: string,
  maxLength = Number.MAX_SAFE_INTEGER,
): string | undefined {
  if (short.length > maxLength) return undefined
  let length = short.length
  for (let i = 0; i < short.length; i++) {
    const phrase = PHRASE_OF.get(short[i] as string)
    if (phrase !== undefined) length += phrase.length - 1
  }
  if (length > maxLength) return undefined
  let valid = true
  const full = short.replace(DECODE, (code) => {
    const phrase = PHRASE_OF.get(code)
    if (phrase === undefined) valid = false
    return phrase ?? ''
  })
  return valid ? full : undefined
}
