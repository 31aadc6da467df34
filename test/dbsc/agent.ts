// A DBSC user agent for tests, written from the W3C draft: it keeps cookies, registers a real key, and refreshes before requests.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'

/** One response, read fully. */
export interface AgentReply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: any
}

/** One registration offer parsed from `Secure-Session-Registration` (an sf-list of inner lists with parameters). */
export interface Offer {
  readonly algorithms: string[]
  readonly path: string
  readonly challenge: string | undefined
}

interface KeyPair {
  readonly alg: 'ES256' | 'RS256'
  readonly privateKey: CryptoKey
  readonly jwk: JWK
}

/** What the agent learned at registration (the session instructions). */
export interface BoundSession {
  readonly id: string
  readonly refreshUrl: string
  readonly cookieName: string
  challenge: string | undefined
}

/** A fresh key pair, as the browser makes one per session. */
export async function makeKey(alg: 'ES256' | 'RS256' = 'ES256'): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  return { alg, privateKey, jwk: await exportJWK(publicKey) }
}

/** A DBSC proof: `typ: dbsc+jwt`, the challenge as `jti`, and (for registration) the public key in the header. */
export async function proof(
  key: KeyPair,
  claims: Record<string, unknown>,
  options: { withKey?: boolean; header?: Record<string, unknown> } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({
      alg: key.alg,
      typ: 'dbsc+jwt',
      ...(options.withKey && { jwk: key.jwk }),
      ...options.header,
    })
    .sign(key.privateKey)
}

/** Parses `Secure-Session-Registration` values: `(ES256 RS256);path="/p";challenge="c"`, comma-separated. */
export function parseOffers(header: string | null): Offer[] {
  if (!header) return []
  const offers: Offer[] = []
  for (const match of header.matchAll(/\(([^)]*)\)((?:;\s*[a-z_]+="(?:[^"\\]|\\.)*")*)/g)) {
    const params = new Map(
      [...(match[2] ?? '').matchAll(/;\s*([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((p) => [
        p[1] as string,
        (p[2] as string).replace(/\\(.)/g, '$1'),
      ]),
    )
    const path = params.get('path')
    if (path)
      offers.push({
        algorithms: (match[1] ?? '').trim().split(/\s+/),
        path,
        challenge: params.get('challenge'),
      })
  }
  return offers
}

/** Parses `Secure-Session-Challenge: "c";id="s"` into challenge by session id. */
export function parseChallenges(header: string | null): Map<string, string> {
  const found = new Map<string, string>()
  for (const match of (header ?? '').matchAll(/"((?:[^"\\]|\\.)*)"\s*;\s*id="((?:[^"\\]|\\.)*)"/g))
    found.set(match[2] as string, match[1] as string)
  return found
}

/**
 * Plays the browser: cookies with Max-Age kept against the server's (injected) clock; when a response offers
 * registration and `supportsDbsc`, it registers a fresh key; before each request it refreshes a missing or
 * expired bound cookie, answering a 403 challenge once, as the draft's "send a request" algorithm says.
 */
export class DbscAgent {
  readonly jar = new Map<string, { value: string; expiresAt: number | undefined }>()
  key: KeyPair | undefined
  bound: BoundSession | undefined
  lastOffer: Offer | undefined
  /** Every proof this agent sent, newest last (for replay tests). */
  readonly sent: string[] = []

  constructor(
    readonly base: string,
    private readonly clock: () => number,
    readonly options: { supportsDbsc?: boolean; alg?: 'ES256' | 'RS256' } = {},
  ) {}

  get cookie(): string | undefined {
    const now = this.clock()
    const pairs = [...this.jar]
      .filter(([, c]) => c.expiresAt === undefined || c.expiresAt > now)
      .map(([name, c]) => `${name}=${c.value}`)
    return pairs.length === 0 ? undefined : pairs.join('; ')
  }

  /** A copy of this agent's cookies in another agent with no key (the stolen-cookie attacker). */
  cloneCookiesInto(other: DbscAgent): void {
    for (const [name, cookie] of this.jar) other.jar.set(name, { ...cookie })
  }

  /**
   * An ordinary request from a page, refreshing the bound cookie first when it is missing or expired. A 307 is
   * followed as a browser does (same method and body), so one that removed the bound cookie makes the agent refresh.
   */
  async request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    json?: unknown,
    redirects = 0,
  ): Promise<AgentReply> {
    if (this.bound && !this.hasLiveCookie(this.bound.cookieName)) await this.refresh()
    const reply = await this.send(
      method,
      path,
      { 'sec-fetch-site': 'same-origin', ...headers },
      json,
    )
    const location = reply.headers.get('location')
    if (reply.status === 307 && location && redirects < 5) {
      const target = new URL(location, this.base + path) // a path, or an absolute URL on this site
      return this.request(method, target.pathname + target.search, headers, json, redirects + 1)
    }
    const offer = parseOffers(reply.headers.get('secure-session-registration'))[0]
    if (offer) this.lastOffer = offer
    if (offer && this.options.supportsDbsc !== false && !this.bound) await this.register(offer)
    return reply
  }

  /** Registration: a new key pair, a proof over the offered challenge, then the instructions JSON. */
  async register(offer: Offer, key?: KeyPair): Promise<AgentReply> {
    this.key =
      key ??
      (await makeKey(this.options.alg ?? (offer.algorithms.includes('ES256') ? 'ES256' : 'RS256')))
    const jwt = await proof(this.key, { jti: offer.challenge }, { withKey: true })
    this.sent.push(jwt)
    const reply = await this.send('POST', offer.path, { 'secure-session-response': `"${jwt}"` })
    if (reply.status === 200) {
      const { session_identifier: id, refresh_url: refreshUrl, credentials } = reply.json
      this.bound = {
        id,
        refreshUrl,
        cookieName: credentials[0].name,
        challenge: parseChallenges(reply.headers.get('secure-session-challenge')).get(id),
      }
    }
    return reply
  }

  /** Refresh: with a cached challenge in one step, else fetch one from the 403 and sign it. */
  async refresh(): Promise<AgentReply> {
    const bound = this.bound
    if (!bound || !this.key) throw new Error('not bound')
    let reply = await this.refreshOnce(bound)
    if (reply.status === 403 && bound.challenge) reply = await this.refreshOnce(bound)
    if (reply.status >= 400 && reply.status < 500 && reply.status !== 403) this.bound = undefined // the draft: terminate the session
    return reply
  }

  /** One refresh request, with a proof when a challenge is cached. */
  async refreshOnce(
    bound: BoundSession,
    override?: { jwt?: string; sessionId?: string },
  ): Promise<AgentReply> {
    const headers: Record<string, string> = {
      'sec-secure-session-id': `"${override?.sessionId ?? bound.id}"`,
    }
    const jwt =
      override?.jwt ??
      (bound.challenge && this.key ? await proof(this.key, { jti: bound.challenge }) : undefined)
    if (jwt) {
      headers['secure-session-response'] = `"${jwt}"`
      this.sent.push(jwt)
    }
    bound.challenge = undefined
    const reply = await this.send('POST', bound.refreshUrl, headers)
    bound.challenge = parseChallenges(reply.headers.get('secure-session-challenge')).get(bound.id)
    return reply
  }

  hasLiveCookie(name: string): boolean {
    const cookie = this.jar.get(name)
    return (
      cookie !== undefined && (cookie.expiresAt === undefined || cookie.expiresAt > this.clock())
    )
  }

  /** Sends a request with this agent's cookies and keeps the cookies it sets. */
  async send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    payload?: unknown,
  ): Promise<AgentReply> {
    const cookie = this.cookie
    const body = payload === undefined ? undefined : JSON.stringify(payload)
    const response = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie && { cookie }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body }),
    })
    const text = await response.text()
    for (const setCookie of response.headers.getSetCookie()) this.remember(setCookie)
    let json: unknown
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json }
  }

  private remember(setCookie: string): void {
    const pair = setCookie.split(';')[0] ?? ''
    const name = pair.slice(0, pair.indexOf('='))
    const maxAge = /;\s*max-age=(\d+)/i.exec(setCookie)?.[1]
    if (maxAge === '0' || pair.endsWith('=')) this.jar.delete(name)
    else
      this.jar.set(name, {
        value: pair.slice(name.length + 1),
        expiresAt: maxAge === undefined ? undefined : this.clock() + Number(maxAge) * 1000,
      })
  }
}
