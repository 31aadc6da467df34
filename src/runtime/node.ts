// What hallpass reads from Node under a fetch handler (@hono/node-server): the client address from the socket.
import type { ClientAddress } from './types.ts'

/**
 * The client's socket address under @hono/node-server: `env.incoming.socket.remoteAddress`, from the
 * `{ incoming }` it passes as the fetch handler's second argument (Hono's `c.env`). `hallpass/hono` uses it
 * by default; `hallpass/node`, Express and Fastify read the socket directly.
 */
export const clientIp: ClientAddress = (_request, env) => {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)
    ?.incoming
  const address = incoming?.socket?.remoteAddress
  return typeof address === 'string' ? address : undefined
}
