// A loopback TCP relay in front of the test's PostgreSQL that counts round trips from the messages clients send.
import { createServer, connect, type Server, type Socket } from 'node:net'

/** The relay: point a client at `url`, read `roundTrips()` before and after the work under test. */
export interface WireCounter {
  /** The server's URL with the relay's port. */
  readonly url: string
  /**
   * Round trips the clients made so far: the messages after which a client waits for the server. A Sync (extended
   * protocol) or a Query (simple protocol) is answered by one ReadyForQuery; a Flush by what is pending (a client
   * that describes a statement before binding it sends Parse, Describe, Flush and waits).
   */
  roundTrips(): number
  /** Messages sent so far by type letter (P Parse, B Bind, D Describe, E Execute, S Sync, Q Query...). */
  messages(): ReadonlyMap<string, number>
  close(): Promise<void>
}

/** Startup-phase request codes that are followed by another startup message (SSL and GSS encryption requests). */
const NEGOTIATION_CODES = new Set([80877103, 80877104])

/**
 * Splits one client's byte stream into protocol messages. The first message of a connection (StartupMessage,
 * SSLRequest) has no type byte; every later one is a type byte and an Int32 length that counts itself.
 */
function messageReader(count: (type: string) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0)
  let startup = true
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    for (;;) {
      if (startup) {
        if (pending.length < 8) return
        const length = pending.readInt32BE(0)
        if (pending.length < length) return
        startup = NEGOTIATION_CODES.has(pending.readInt32BE(4))
        pending = pending.subarray(length)
      } else {
        if (pending.length < 5) return
        const length = pending.readInt32BE(1) + 1
        if (pending.length < length) return
        count(String.fromCharCode(pending[0] as number))
        pending = pending.subarray(length)
      }
    }
  }
}

/** Starts a relay to `serverUrl` (a loopback postgres:// URL) on a free loopback port. */
export async function countRoundTrips(serverUrl: string): Promise<WireCounter> {
  const target = new URL(serverUrl)
  const counts = new Map<string, number>()
  const sockets = new Set<Socket>()
  const count = (type: string): void => void counts.set(type, (counts.get(type) ?? 0) + 1)
  const relay: Server = createServer((client) => {
    const server = connect(Number(target.port), target.hostname)
    for (const socket of [client, server]) {
      sockets.add(socket)
      socket.on('error', () => undefined) // either side closing ends both (below)
      socket.on('close', () => {
        sockets.delete(socket)
        client.destroy()
        server.destroy()
      })
    }
    const read = messageReader(count)
    client.on('data', (chunk: Buffer) => {
      read(chunk) // counted before it is forwarded, so a client that has its answer has been counted
      server.write(chunk)
    })
    server.pipe(client)
  })
  await new Promise<void>((resolve, reject) => {
    relay.once('error', reject)
    relay.listen(0, '127.0.0.1', () => resolve())
  })
  const address = relay.address()
  const url = new URL(serverUrl)
  url.port = String(typeof address === 'object' && address ? address.port : 0)
  return {
    url: url.toString(),
    roundTrips: () => ['S', 'Q', 'H'].reduce((sum, type) => sum + (counts.get(type) ?? 0), 0),
    messages: () => new Map(counts),
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => relay.close(() => resolve()))
    },
  }
}
