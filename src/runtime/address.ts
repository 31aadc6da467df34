// What counts as a client address in a header a proxy writes: one IPv4 or IPv6 address, nothing else.

/** One IPv4 octet, 0 to 255, without a leading zero. */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`)
/** The characters of an IPv6 address in text form (hex groups, colons, an embedded IPv4 address). */
const IPV6_CHARACTERS = /^[0-9A-Fa-f:.]+$/
/** The longest IPv6 text form (with an embedded IPv4 address). */
const MAX_ADDRESS_LENGTH = 45

/**
 * True when `text` is one IP address as a proxy writes it into `X-Forwarded-For` or `CF-Connecting-IP`: a dotted
 * IPv4 address (each part 0–255) or an IPv6 address (no zone, no brackets, no port). IPv6 is checked by the WHATWG
 * URL parser, which every runtime has and which refuses what is not one address (`1::2::3`, nine groups).
 */
export function isIpAddress(text: string): boolean {
  if (text.length > MAX_ADDRESS_LENGTH) return false
  if (IPV4.test(text)) return true
  if (!text.includes(':') || !IPV6_CHARACTERS.test(text)) return false
  try {
    new URL(`http://[${text}]/`)
    return true
  } catch {
    return false
  }
}
