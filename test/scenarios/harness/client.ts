// HTTP clients for scenarios: a cookie-keeping browser over fetch, and a raw socket for bytes fetch refuses to send.
import { connect } from 'node:net'

/** One response, read fully. */
export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly setCookies: string[]
  readonly text: string
  readonly json: any
}

/** Keeps cookies like a browser does: each replaced by its Set-Cookie, dropped by Max-Age=0. */
export class Browser {
  private readonly jar = new Map<string, string>()

  constructor(readonly base: string) {}

  /** The same browser (its cookies) talking to another server on the same host: cookies do not depend on the port. */
  at(base: string): Browser {
    const moved = new Browser(base)
    for (const [name, pair] of this.jar) moved.jar.set(name, pair)
    return moved
  }

  /** The Cookie header this browser sends (undefined when it holds none). */
  get cookie(): string | undefined {
    return this.jar.size === 0 ? undefined : [...this.jar.values()].join('; ')
  }

  /**
   * Sends a request as a current browser would from the app's own pages (`Sec-Fetch-Site: same-origin`),
   * unless `init.headers` says otherwise; a header set to null is left out.
   */
  async request(
    method: string,
    path: string,
    init: {
      body?: unknown
      cookie?: string | null
      headers?: Record<string, string | null>
      rawBody?: string
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { 'sec-fetch-site': 'same-origin' }
    const cookie = init.cookie === undefined ? this.cookie : (init.cookie ?? undefined)
    if (cookie) headers.cookie = cookie
    if (init.body !== undefined) headers['content-type'] = 'application/json'
    for (const [name, value] of Object.entries(init.headers ?? {})) {
      if (value === null) delete headers[name]
      else headers[name] = value
    }
    const body = init.rawBody ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined)
    const response = await fetch(this.base + path, {
      method,
      headers,
      redirect: 'manual',
      ...(body !== undefined && { body }),
    })
    const text = await response.text()
    const setCookies = response.headers.getSetCookie()
    if (init.cookie === undefined) for (const value of setCookies) this.remember(value)
    let json: unknown
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, setCookies, text, json }
  }

  get(path: string, init?: { cookie?: string | null }): Promise<Reply> {
    return this.request('GET', path, init)
  }
  post(
    path: string,
    init?: {
      body?: unknown
      cookie?: string | null
      headers?: Record<string, string | null>
      rawBody?: string
    },
  ): Promise<Reply> {
    return this.request('POST', path, init)
  }

  private remember(setCookie: string): void {
    const pair = setCookie.split(';')[0] ?? ''
    const name = pair.slice(0, pair.indexOf('='))
    if (/max-age=0/i.test(setCookie) || pair.endsWith('=')) this.jar.delete(name)
    else this.jar.set(name, pair)
  }
}

/** Sends raw bytes as one HTTP/1.1 request and returns the reply's status (0 if the server just closed) and raw text. */
export function rawRequest(
  base: string,
  request: string | Buffer,
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let text = ''
    const timer = setTimeout(
      () => (socket.destroy(), reject(new Error('raw request timed out'))),
      5_000,
    )
    socket.on('data', (chunk) => (text += chunk.toString('latin1')))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text })
    })
    socket.write(request)
  })
}

/** A raw request line plus headers, exactly as given (no normalization of the path), with `Connection: close`. */
export function rawHttp(
  method: string,
  target: string,
  headers: Record<string, string> = {},
): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  return `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.join('')}Connection: close\r\n\r\n`
}
