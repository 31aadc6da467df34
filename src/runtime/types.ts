// The one interface every runtime module implements: what hallpass reads from the runtime a fetch handler runs on.

/**
 * The client's socket address, from the request and the second argument the runtime passes to a fetch
 * handler (`env`): Bun's `Server`, Deno's `ServeHandlerInfo`, @hono/node-server's `{ incoming }`. Hono hands
 * that same argument on as `c.env`. Returns undefined when the argument is not the runtime's.
 */
export type ClientAddress = (request: Request, env: unknown) => string | undefined

/** The `c` of a Hono handler, as far as a `ClientAddress` needs it (no import of Hono). */
export interface HonoContextLike {
  readonly req: { readonly raw: Request }
  readonly env: unknown
}
