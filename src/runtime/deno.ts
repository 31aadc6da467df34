// hallpass/deno: what hallpass reads from Deno (the client address from `Deno.serve`'s `info.remoteAddr`).
import type { ClientAddress, HonoContextLike } from './types.ts'

/** The part of Deno's `ServeHandlerInfo` this module reads. */
interface DenoServeInfoLike {
  remoteAddr: { transport: string; hostname?: string }
}

function isServeInfo(env: unknown): env is DenoServeInfoLike {
  const remote = (env as Partial<DenoServeInfoLike> | null)?.remoteAddr
  return typeof remote === 'object' && remote !== null
}

/**
 * The client's socket address on Deno: `info.remoteAddr.hostname` for TCP and UDP, from the `info`
 * `Deno.serve` passes as the handler's second argument (a Unix socket has no client address). Give it to
 * `hallpass/fetch` as `getIp`.
 *
 * @default undefined when the second argument is not Deno's serve info, or the socket is a Unix socket
 * @example
 * ```ts
 * import { withSession } from 'hallpass/fetch'
 * import { clientIp } from 'hallpass/deno'
 * Deno.serve(withSession(sessions, handler, { getIp: clientIp }))
 * ```
 */
export const clientIp: ClientAddress = (_request, info) => {
  if (!isServeInfo(info)) return undefined
  const { transport, hostname } = info.remoteAddr
  return (transport === 'tcp' || transport === 'udp') && typeof hostname === 'string'
    ? hostname
    : undefined
}

/**
 * `clientIp` for `hallpass/hono`'s `getIp`: `Deno.serve(app.fetch)` passes the info on as `c.env`.
 *
 * @example
 * ```ts
 * import { session } from 'hallpass/hono'
 * import { honoClientIp } from 'hallpass/deno'
 * app.use(session(sessions, { getIp: honoClientIp }))
 * ```
 */
export const honoClientIp = (c: HonoContextLike): string | undefined => clientIp(c.req.raw, c.env)
