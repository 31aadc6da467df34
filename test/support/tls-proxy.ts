// An HTTPS front for a plain-HTTP app (as a TLS-terminating proxy is), recording each exchange's method, path and status.
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { SelfSigned } from './tls.ts'

/** One request through the proxy and the status the app answered. */
export interface ProxiedExchange {
  readonly method: string
  readonly path: string
  readonly status: number
}

/** A running proxy: its HTTPS origin, what went through it, and how to stop it. */
export interface TlsProxy {
  readonly origin: string
  readonly exchanges: ProxiedExchange[]
  close(): Promise<void>
}

/**
 * Serves `target` (http://127.0.0.1:port) over HTTPS on `port` (a free one when 0) of the loopback interface. The Host header
 * is passed through, and `X-Forwarded-Proto: https` and `X-Forwarded-Host` are added, as proxies do.
 */
export async function startTlsProxy(
  target: string,
  certificate: SelfSigned,
  port = 0,
): Promise<TlsProxy> {
  const upstreamUrl = new URL(target)
  const exchanges: ProxiedExchange[] = []
  const server = createServer(
    { cert: readFileSync(certificate.certFile), key: readFileSync(certificate.keyFile) },
    (req, res) => {
      const upstream = httpRequest(
        {
          host: upstreamUrl.hostname,
          port: upstreamUrl.port,
          method: req.method,
          path: req.url,
          headers: {
            ...req.headers,
            'x-forwarded-proto': 'https',
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
    },
  )
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo
  return {
    origin: `https://127.0.0.1:${address.port}`,
    exchanges,
    close: () =>
      new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}
