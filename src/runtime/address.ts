// What counts as a client address in a header a proxy writes: one IPv4 or IPv6 address, nothing else.

/** An IPv4 or IPv6 address (no port, no list, no zone); anything else is no address. */
const ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|(?=.*:.*:)[0-9A-Fa-f:]+(?:\d{1,3}(?:\.\d{1,3}){3})?)$/
/** The longest IPv6 text form (with an embedded IPv4 address). */
const MAX_ADDRESS_LENGTH = 45

/** True when `text` is one IP address as a proxy writes it into `X-Forwarded-For` or `CF-Connecting-IP`. */
export function isIpAddress(text: string): boolean {
  return text.length <= MAX_ADDRESS_LENGTH && ADDRESS.test(text)
}
