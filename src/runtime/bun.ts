// hallpass/bun: what hallpass reads from Bun (the client address from `server.requestIP`).
import type { ClientAddress, HonoContextLike } from './types.ts'

/** The part of Bun's `Server` this module reads. */
interface BunServerLike {
  requestIP(request: Request): { address: string } | null
}

function isBunServer(env: unknown): env is BunServerLike {
  return typeof (env as Partial<BunServerLike> | null)?.requestIP === 'function'
}

/**
 * The client's socket address on Bun: `server.requestIP(request)`, from the `server` Bun passes as the
 * fetch handler's second argument. Give it to `hallpass/fetch` as `getIp`.
 *
 * @default undefined when the second argument is not a Bun server
 * @example
 * ```ts
 * import { withSession } from 'hallpass/fetch'
 * import { clientIp } from 'hallpass/bun'
 * Bun.serve({ fetch: withSession(sessions, handler, { getIp: clientIp }) })
 * ```
 */
export const clientIp: ClientAddress = (request, server) =>
  isBunServer(server) ? (server.requestIP(request)?.address ?? undefined) : undefined

/**
 * `clientIp` for `hallpass/hono`'s `getIp`: Hono on Bun passes the server on as `c.env`.
 *
 * @example
 * ```ts
 * import { session } from 'hallpass/hono'
 * import { honoClientIp } from 'hallpass/bun'
 * app.use(session(sessions, { getIp: honoClientIp }))
 * ```
 */
export const honoClientIp = (c: HonoContextLike): string | undefined => clientIp(c.req.raw, c.env)
