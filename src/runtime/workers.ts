// hallpass/workers: what hallpass reads on Cloudflare Workers (the client address from CF-Connecting-IP, when trusted).
import { configError } from '../errors.ts'
import { isIpAddress } from './address.ts'
import type { ClientAddress, HonoContextLike } from './types.ts'

/** Options for `clientIp` and `honoClientIp`. */
export interface WorkersAddressOptions {
  /**
   * `true` only when every request reaches this Worker through Cloudflare's network, which sets
   * `CF-Connecting-IP` itself. The same Worker run any other way (workerd or wrangler dev exposed to clients, or
   * behind another proxy) receives the header as the client sent it, so it is then read as no address at all.
   * There is no default: say which it is.
   */
  trustCloudflare: boolean
}

function trusted(options: WorkersAddressOptions): boolean {
  const trust = (options as Partial<WorkersAddressOptions> | undefined)?.trustCloudflare
  if (typeof trust !== 'boolean')
    configError(
      'hallpass/workers clientIp and honoClientIp need { trustCloudflare: true } when the Worker is reached only through Cloudflare (which sets ' +
        'CF-Connecting-IP), or { trustCloudflare: false } when it runs anywhere else (a client can send that header)',
    )
  return trust
}

/**
 * The client's address on Cloudflare Workers: the `CF-Connecting-IP` header, read only with
 * `trustCloudflare: true` (a Worker has no socket address of its own). Give it to `hallpass/fetch` as `getIp`.
 * Throws `CONFIG_INVALID` when `trustCloudflare` is not a boolean.
 *
 * @default undefined for every request with `trustCloudflare: false`, or when the header is not one address
 * @example
 * ```ts
 * import { withSession } from 'hallpass/fetch'
 * import { clientIp } from 'hallpass/workers'
 * export default { fetch: withSession(sessions, handler, { getIp: clientIp({ trustCloudflare: true }) }) }
 * ```
 */
export function clientIp(options: WorkersAddressOptions): ClientAddress {
  if (!trusted(options)) return () => undefined
  return (request) => {
    const address = request.headers.get('cf-connecting-ip')?.trim()
    return address !== undefined && isIpAddress(address) ? address : undefined
  }
}

/**
 * `clientIp` for `hallpass/hono`'s `getIp`.
 *
 * @example
 * ```ts
 * import { session } from 'hallpass/hono'
 * import { honoClientIp } from 'hallpass/workers'
 * app.use(session(sessions, { getIp: honoClientIp({ trustCloudflare: true }) }))
 * ```
 */
export function honoClientIp(
  options: WorkersAddressOptions,
): (c: HonoContextLike) => string | undefined {
  const read = clientIp(options)
  return (c) => read(c.req.raw, c.env)
}
