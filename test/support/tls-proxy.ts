// A proxy in front of a plain-HTTP app (HTTPS as a TLS-terminating proxy is, or plain HTTP), recording each exchange's method, path and status.
import { readFileSync } from 'node:fs'
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { SelfSigned } from './tls.ts'

/** One request through the proxy and the status the app answered. */
export interface ProxiedExchange {
  readonly method: string
  readonly path: string
  readonly status: number
}

/** A running proxy: its origin, what went through it, and how to stop it. */
export interface TlsProxy {
  readonly origin: string
  readonly port: number
  readonly exchanges: ProxiedExchange[]
  close(): Promise<void>
}

/** Forwards each request to `target`, passing the Host header through and adding `X-Forwarded-For`, `-Proto` and `-Host`. */
function forwarder(target: string, proto: 'http' | 'https', exchanges: ProxiedExchange[]) {
  const upstreamUrl = new URL(target)
  return (req: IncomingMessage, res: ServerResponse) => {
    const upstream = httpRequest(
      {
        host: upstreamUrl.hostname,
        port: upstreamUrl.port,
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress]
            .filter(Boolean)
            .join(', '),
          'x-forwarded-proto': proto,
          'x-forwarded-host': req.headers.host ?? '',
        },
      },
      (answer) => {
        exchanges.push({
          method: req.method ?? 'GET',
          path: (req.url ?? '/').split('?')[0] ?? '/',
          status: answer.statusCode ?? 0,
        })
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()))
    req.pipe(upstream)
  }
}

/**
 * Serves `target` (http://127.0.0.1:port) on `port` (a free one when 0) of the loopback interface: over HTTPS
 * with `certificate`, else over plain HTTP. The Host header is passed through, and `X-Forwarded-For` (the
 * client's address appended), `X-Forwarded-Proto` (https or http) and `X-Forwarded-Host` are added, as proxies do.
 */
export async function startProxy(
  target: string,
  options: { certificate?: SelfSigned; port?: number } = {},
): Promise<TlsProxy> {
  const exchanges: ProxiedExchange[] = []
  const { certificate } = options
  const server = certificate
    ? createHttpsServer(
        { cert: readFileSync(certificate.certFile), key: readFileSync(certificate.keyFile) },
        forwarder(target, 'https', exchanges),
      )
    : createHttpServer(forwarder(target, 'http', exchanges))
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `${certificate ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    exchanges,
    close: () =>
      new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}

/** `startProxy` over HTTPS with `certificate`, on `port` (a free one when 0). */
export function startTlsProxy(
  target: string,
  certificate: SelfSigned,
  port = 0,
): Promise<TlsProxy> {
  return startProxy(target, { certificate, port })
}
