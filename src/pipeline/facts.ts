// What a front door reads from its framework's request for the pipeline: the client (for load) and the request (for the checks).
import type { CsrfOptions } from '../csrf/index.ts'
import { checkOptionKeys, configError } from '../errors.ts'
import { isIpAddress } from '../runtime/address.ts'

/** Options every front door accepts. */
export interface AdapterOptions {
  /** Trust `X-Forwarded-For` (client IP) and `X-Forwarded-Proto` (own origin) — only behind a proxy you control. @default false */
  trustProxy?: boolean
  /** CSRF protection for every method but GET, HEAD and OPTIONS (`hallpass/csrf`); `false` turns it off. @default {} (on) */
  csrf?: CsrfOptions | false
}

/**
 * Refuses, when a front door is installed, options it does not take (a typo such as `trustproxy`, or `trustProxy` on
 * SvelteKit, which has none) and values of the wrong type, with CONFIG_INVALID naming the door; `hint` is added to
 * the message for an option the door does not take.
 */
export function checkDoorOptions(
  door: string,
  options: unknown,
  known: readonly (keyof AdapterOptions | 'onError' | 'getIp')[],
  hint?: string,
): void {
  if (typeof options !== 'object' || options === null)
    configError(
      `${door}: options must be an object (got ${options === null ? 'null' : typeof options})`,
    )
  checkOptionKeys(door, options, known, hint)
  const { trustProxy, onError, getIp } = options as Record<string, unknown>
  if (trustProxy !== undefined && typeof trustProxy !== 'boolean')
    configError(`${door}: trustProxy must be true or false (got ${JSON.stringify(trustProxy)})`)
  for (const [name, value] of [
    ['onError', onError],
    ['getIp', getIp],
  ] as const)
    if (value !== undefined && typeof value !== 'function')
      configError(`${door}: ${name} must be a function (got ${typeof value})`)
}

/** What the load step reads: the Cookie header, the socket address, `X-Forwarded-For` and the User-Agent. */
export interface ClientFacts {
  readonly cookie: string | null | undefined
  readonly socketIp: string | undefined
  readonly forwardedFor: string | null | undefined
  readonly userAgent: string | null | undefined
}

/** What the DBSC step and the CSRF check read from a request. */
export interface RequestFacts {
  readonly method: string
  /** Raw path, without the query string. */
  readonly path: string
  /** The raw request target (path and query), where DBSC sends a request again after its bound cookie failed. */
  readonly target?: string | undefined
  readonly encrypted: boolean
  readonly host: string | null | undefined
  readonly header: (name: string) => string | null | undefined
}

/** Reads the `_csrf` form field when the check needs a token and the request has no `x-csrf-token` header. */
export type FormToken = () => Promise<string | undefined> | string | undefined

/**
 * The client address: the socket's, or with `trustProxy` the last hop recorded in `X-Forwarded-For` when that is an
 * IP address (anything else there, such as markup a client wrote, is not recorded: the socket's address is).
 */
export function clientIp(
  socketAddress: string | undefined,
  forwardedFor: string | null | undefined,
  trustProxy: boolean,
): string | undefined {
  if (trustProxy && forwardedFor) {
    const hops = forwardedFor.split(',')
    const last = hops[hops.length - 1]?.trim()
    if (last && isIpAddress(last)) return last
  }
  return socketAddress
}

/** The origin the request addressed: its Host, and its scheme (or `X-Forwarded-Proto` with `trustProxy`). */
export function selfOrigin(facts: RequestFacts, trustProxy: boolean): string {
  const proto = trustProxy ? facts.header('x-forwarded-proto')?.split(',')[0]?.trim() : undefined
  const scheme = proto === 'https' || proto === 'http' ? proto : facts.encrypted ? 'https' : 'http'
  return `${scheme}://${facts.host ?? ''}`
}

/** The raw path of a request target, without its query string. */
export function rawPath(target: string | undefined): string {
  const url = target ?? '/'
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/** `_csrf` from an already-parsed body object, if there is one. */
export function formField(body: unknown): string | undefined {
  const value = typeof body === 'object' && body !== null ? Reflect.get(body, '_csrf') : undefined
  return typeof value === 'string' ? value : undefined
}
