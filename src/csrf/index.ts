// hallpass/csrf: Fetch Metadata, exact Origin checks and masked synchronizer tokens, for every state-changing request.
import { checkOptionKeys, configError, HallpassError } from '../errors.ts'
import { readCookie, sessionCookie, type ResolvedCookieOptions } from '../core/cookies.ts'
import type { CsrfRejectReason } from '../core/events.ts'
import { keyRingOf, type Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import { scopeOf } from '../pipeline/scope.ts'
import { policyVerdict, type PolicyConfig } from './policy.ts'
import { CsrfTokens } from './tokens.ts'

export type { CsrfRejectReason }

/** CSRF options. Every adapter turns the check on by default. */
export interface CsrfOptions {
  /** Exact origins allowed to send state-changing requests, e.g. `['https://app.example.com']`. @default the request's own origin */
  origins?: readonly string[]
  /** Accept `Sec-Fetch-Site: same-site` (sibling subdomains). @default false */
  allowSameSite?: boolean
  /** Require a valid token on every state-changing request, even when Fetch Metadata or Origin passed. @default false */
  requireToken?: boolean
  /** Exact paths that skip the check (webhooks). `/hook/` does not exempt `/hook` or `/hook/x`. @default [] */
  exempt?: readonly string[]
  /** Name of the signed pre-session cookie that anonymous tokens are bound to. @default '__Host-hp-csrf' when secure, else 'hp-csrf' */
  cookieName?: string
}

/** The request facts the check needs; adapters fill them in. */
export interface CsrfRequest {
  readonly method: string
  /** Raw path without the query string. */
  readonly path: string
  /** This server's origin as the request addressed it. */
  readonly selfOrigin: string
  readonly header: (name: string) => string | null | undefined
  readonly ip?: string | undefined
}

export type CsrfVerdict =
  { readonly ok: true } | { readonly ok: false; readonly reason: CsrfRejectReason }

/** Body and status of a CSRF rejection; no details that would help an attacker. */
export const CSRF_REJECTION = {
  status: 403,
  body: JSON.stringify({
    error: {
      code: 'CSRF_REJECTED',
      message: 'This request failed the cross-site request forgery check.',
    },
  }),
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
} as const

const OK: CsrfVerdict = { ok: true }

/** The keys of CsrfOptions: any other is a typo (`exmept`) and refused. */
const CSRF_OPTIONS = ['origins', 'allowSameSite', 'requireToken', 'exempt', 'cookieName']

/**
 * Creates the CSRF protector for a session manager.
 *
 * @throws CONFIG_INVALID for an unknown option or a value of the wrong type (`origins: 'https://x'` is not a list), an origin that is not bare, an exempt path without a leading "/", or a cookie name equal to the session cookie's.
 *
 * @example
 * ```ts
 * import { createCsrf } from 'hallpass/csrf'
 * const csrf = createCsrf(sessions, { origins: ['https://app.example.com'], exempt: ['/webhooks/stripe'] })
 * ```
 */
export function createCsrf(sessions: Sessions<SessionData>, options: CsrfOptions = {}): Csrf {
  return new Csrf(sessions, options)
}

export class Csrf {
  private readonly tokens: CsrfTokens
  private readonly policy: PolicyConfig
  private readonly cookie: ResolvedCookieOptions

  /** @internal Use `createCsrf()`. */
  constructor(
    private readonly sessions: Sessions<SessionData>,
    options: CsrfOptions,
  ) {
    this.tokens = new CsrfTokens(keyRingOf(sessions))
    if (typeof options !== 'object' || options === null)
      configError('csrf must be false or an options object, e.g. { exempt: ["/webhooks/stripe"] }')
    checkOptionKeys('csrf', options, CSRF_OPTIONS)
    const { origins = [], allowSameSite = false, requireToken = false, exempt = [] } = options
    this.policy = {
      origins: new Set(
        strings('origins', origins, 'origins, e.g. ["https://app.example.com"]').map(checkOrigin),
      ),
      allowSameSite: flag('allowSameSite', allowSameSite),
      requireToken: flag('requireToken', requireToken),
      exempt: new Set(strings('exempt', exempt, 'paths, e.g. ["/webhooks/stripe"]')),
    }
    for (const path of this.policy.exempt)
      if (!path.startsWith('/')) configError(`csrf exempt path "${path}" must start with "/"`)
    if (options.cookieName !== undefined && typeof options.cookieName !== 'string')
      configError(`csrf cookieName must be a string (got ${typeof options.cookieName})`)
    const name = options.cookieName ?? (sessions.cookie.secure ? '__Host-hp-csrf' : 'hp-csrf')
    if (name === sessions.cookie.name)
      configError('csrf cookieName must differ from the session cookie name')
    this.cookie = { ...sessions.cookie, name }
  }

  /** Per-request state: issue tokens, check the request, and collect the cookie to set. */
  forRequest(request: CsrfRequest): CsrfRequestState {
    return new CsrfRequestState(this.tokens, this.policy, this.cookie, this.sessions, request)
  }
}

/** One request's CSRF state. */
export class CsrfRequestState {
  private issued: string | undefined
  private nonce: string | undefined | null = null

  /** @internal Created by `csrf.forRequest()`. */
  constructor(
    private readonly tokens: CsrfTokens,
    private readonly policy: PolicyConfig,
    private readonly cookie: ResolvedCookieOptions,
    private readonly sessions: Sessions<SessionData>,
    private readonly request: CsrfRequest,
  ) {}

  /** A masked token for forms and `x-csrf-token` headers; rotates whenever the session id does (login). */
  token(session: Session<SessionData>): string {
    if (session.isAuthenticated && session.id) return this.tokens.mask(`s:${session.id}`)
    let nonce = this.requestNonce()
    if (nonce === undefined) {
      const issued = this.tokens.issueNonce()
      this.nonce = nonce = issued.nonce
      this.issued = issued.cookieValue
    }
    return this.tokens.mask(`p:${nonce}`)
  }

  /**
   * Checks a state-changing request. The token is read from the `x-csrf-token` header or, through
   * `formToken`, from a `_csrf` form field; never from the query string.
   */
  async check(
    session: Session<SessionData>,
    formToken?: () => Promise<string | undefined> | string | undefined,
  ): Promise<CsrfVerdict> {
    const verdict = policyVerdict(
      {
        method: this.request.method.toUpperCase(),
        path: this.request.path,
        selfOrigin: this.request.selfOrigin,
        secFetchSite: this.request.header('sec-fetch-site'),
        origin: this.request.header('origin'),
      },
      this.policy,
    )
    if (verdict.kind === 'pass') return OK
    if (verdict.kind === 'reject') return this.reject(verdict.reason, session)
    const token = this.request.header('x-csrf-token') ?? (await formToken?.())
    if (!token) return this.reject('token_missing', session)
    const binding =
      session.isAuthenticated && session.id ? `s:${session.id}` : this.bindingForAnonymous()
    return binding !== undefined && this.tokens.verify(token, binding)
      ? OK
      : this.reject('token_invalid', session)
  }

  /**
   * `check()` for code where a throw becomes the reply (an RPC layer, a WebSocket upgrade): resolves when the
   * request passes, else rejects. The rejection is emitted as `csrf.rejected` (with its reason) like `check()`.
   *
   * @throws CSRF_REJECTED when the request fails the check (the message names no reason; the event does).
   * @example
   * ```ts
   * import { createCsrf } from 'hallpass/csrf'
   * await createCsrf(sessions).forRequest({ method, path, selfOrigin, header }).assert(session)
   * ```
   */
  async assert(
    session: Session<SessionData>,
    formToken?: () => Promise<string | undefined> | string | undefined,
  ): Promise<void> {
    const verdict = await this.check(session, formToken)
    if (!verdict.ok)
      throw new HallpassError(
        'CSRF_REJECTED',
        'This request failed the cross-site request forgery check.',
      )
  }

  /** Set-Cookie values to add to the response (a new pre-session cookie, if one was issued). */
  cookies(): string[] {
    return this.issued === undefined ? [] : [sessionCookie(this.cookie, this.issued)]
  }

  private bindingForAnonymous(): string | undefined {
    const nonce = this.requestNonce()
    return nonce === undefined ? undefined : `p:${nonce}`
  }

  private requestNonce(): string | undefined {
    if (this.nonce === null) {
      const found = readCookie(this.request.header('cookie'), this.cookie.name)
      this.nonce = this.tokens.readNonce(found.value)
    }
    return this.nonce
  }

  private reject(reason: CsrfRejectReason, session: Session<SessionData>): CsrfVerdict {
    this.sessions.emit({
      type: 'csrf.rejected',
      reason,
      method: this.request.method,
      path: this.request.path.slice(0, 200),
      ...(session.id !== null && { id: session.id }),
      ...(this.request.ip !== undefined && { ip: this.request.ip }),
    })
    return { ok: false, reason }
  }
}

/**
 * The masked CSRF token for this request's session, for a hidden `_csrf` field or an
 * `x-csrf-token` header. Works in every front door (CSRF is on by default there): the request's
 * CSRF state sits in its request scope, which the front door attached to the session.
 *
 * @throws CONFIG_INVALID when the session has no CSRF state: `csrf: false`, or a session no front door loaded.
 * @example
 * ```ts
 * import { csrfToken } from 'hallpass/csrf'
 * const html = `<input type="hidden" name="_csrf" value="${csrfToken(session)}">`
 * ```
 */
export function csrfToken(session: Session<SessionData>): string {
  const state = scopeOf(session)?.csrf
  return state ? state.token(session) : noCsrfState()
}

/** @internal `csrfToken()`'s CONFIG_INVALID for a request without CSRF state (also the front doors' `csrfToken` with `csrf: false`). */
export function noCsrfState(): never {
  configError(
    'csrfToken() found no CSRF state for this session: CSRF is off (csrf: false) or the session was not loaded by a hallpass adapter',
  )
}

/**
 * True when `value` is exactly an origin as browsers send it (scheme, host, port; no path, no
 * trailing slash), so it can be compared with the `Origin` header byte for byte.
 *
 * @example
 * ```ts
 * import { isBareOrigin } from 'hallpass/csrf'
 * isBareOrigin('https://app.example.com') // true; 'https://app.example.com/' is false
 * ```
 */
export function isBareOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value
  } catch {
    return false
  }
}

function checkOrigin(origin: string): string {
  if (!isBareOrigin(origin))
    configError(
      `csrf origin "${origin}" must be a bare origin such as https://app.example.com (scheme, host and port only)`,
    )
  return origin
}

/** `value` when it is an array of strings, else CONFIG_INVALID: a lone string is not taken as a list of one. */
function strings(option: string, value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    configError(`csrf ${option} must be an array of ${what} (got ${JSON.stringify(value)})`)
  return value
}

/** `value` when it is a boolean, else CONFIG_INVALID naming the option. */
function flag(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    configError(`csrf ${option} must be true or false (got ${JSON.stringify(value)})`)
  return value
}
