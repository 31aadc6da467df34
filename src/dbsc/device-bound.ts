// The DBSC server: answers the registration and refresh endpoints, checks the bound cookie, and offers registration.
import { randomBytes } from 'node:crypto'
import { readCookie, sessionCookie } from '../core/cookies.ts'
import type { DeviceBoundRejectReason } from '../core/events.ts'
import type { Internals } from '../core/internals.ts'
import type { Session } from '../core/session.ts'
import type { KeyRing } from '../crypto/keyring.ts'
import type { DeviceBinding, SessionData, SessionRecord } from '../core/types.ts'
import { firstHeader, HEADERS, readSfString, sfString } from './headers.ts'
import type { ResolvedDeviceBound } from './options.ts'
import { verifyRefresh, verifyRegistration } from './proof.ts'
import { refusal, type DbscReply } from './replies.ts'
import { StampCodec } from './tokens.ts'

/** What the DBSC step reads from a request. */
export interface DbscRequest {
  readonly method: string
  /** Raw path, without the query string. */
  readonly path: string
  /** The raw Cookie header. */
  readonly cookie: string | null | undefined
  readonly header: (name: string) => string | null | undefined
}

/** The bound-cookie state of one request. */
export type BoundState = 'unbound' | 'bound' | Extract<DeviceBoundRejectReason, `bound_cookie_${string}`>

interface RequestState {
  readonly server: DeviceBound
  readonly bound: BoundState
  readonly path: string
  readonly loadedId: string | null
  readonly navigation: boolean
}

const requests = new WeakMap<object, RequestState>()
const CAS_ATTEMPTS = 8

/**
 * For a route guard: true when this request may act for its session, i.e. the session never registered a
 * key, or it carries a live bound cookie. A refusal is reported as a `dbsc.rejected` event.
 */
export function passesDeviceCheck(session: Session<SessionData>): boolean {
  if (!session.deviceBinding) return true
  const state = requests.get(session)
  if (state?.bound === 'bound') return true
  state?.server.report(session, state.path, state.bound === 'unbound' ? 'bound_cookie_missing' : state.bound)
  return false
}

/** The extra response headers DBSC adds after commit (the registration offer), if any. */
export function deviceBoundHeaders(session: Session<SessionData>): Record<string, string> | undefined {
  const value = requests.get(session)?.server.registrationHeader(session)
  return value === undefined ? undefined : { [HEADERS.registration]: value }
}

/** The DBSC server an app without an adapter calls (`sessions.deviceBound`, docs/dbsc.md). */
export interface DeviceBoundServer {
  /**
   * Runs before the app's handler: answers the two DBSC endpoints (returns the reply to send), or records the
   * request's bound-cookie state and returns undefined, or a 401 reply when `enforce: 'session'` refuses it.
   */
  handle(session: Session<SessionData>, request: DbscRequest): Promise<DbscReply | undefined>
  /** The `Secure-Session-Registration` header value to add to this response, if the session should register. */
  registrationHeader(session: Session<SessionData>): string | undefined
}

/** @internal Built by the manager when `deviceBound` is set. */
export class DeviceBound implements DeviceBoundServer {
  private readonly stamps: StampCodec

  constructor(
    readonly config: ResolvedDeviceBound,
    private readonly ctx: Internals<SessionData>,
    keys: KeyRing,
  ) {
    this.stamps = new StampCodec(keys)
  }

  /**
   * Runs before the app's handler: answers the two DBSC endpoints, records the bound-cookie state, and
   * with `enforce: 'session'` refuses a bound session whose bound cookie is missing or stale.
   */
  async handle(session: Session<SessionData>, request: DbscRequest): Promise<DbscReply | undefined> {
    if (request.method === 'POST' && request.path === this.config.registrationPath) return this.register(session, request)
    if (request.method === 'POST' && request.path === this.config.refreshPath) return this.refresh(session, request)
    const bound = this.boundState(session, request.cookie)
    const mode = request.header('sec-fetch-mode')
    requests.set(session, { server: this, bound, path: request.path, loadedId: session.id, navigation: mode === 'navigate' || request.header('sec-fetch-dest') === 'document' })
    if (bound === 'bound' || bound === 'unbound' || this.config.enforce !== 'session') return undefined
    return this.refuse(session, request, bound, 401)
  }

  /**
   * The `Secure-Session-Registration` value for a response: only for a signed-in session without a key,
   * on the response that issued its id (login) or on a page navigation.
   */
  registrationHeader(session: Session<SessionData>): string | undefined {
    const state = requests.get(session)
    const id = session.id
    if (!state || id === null || session.userId === null || session.deviceBinding) return undefined
    if (!state.navigation && state.loadedId === id) return undefined
    const challenge = this.stamps.issue('register', id, this.ctx.clock())
    return `(${this.config.algorithms.join(' ')});path=${sfString(this.config.registrationPath)};challenge=${sfString(challenge)}`
  }

  /** Registration: verify the self-signed proof over our challenge, store the key, answer with instructions. */
  private async register(session: Session<SessionData>, request: DbscRequest): Promise<DbscReply> {
    const id = session.id
    if (id === null || session.userId === null) return this.refuse(session, request, 'no_session', 401)
    if (session.deviceBinding) return this.refuse(session, request, 'already_bound', 409)
    const jwt = readSfString(firstHeader(request.header, HEADERS.response))
    if (jwt === undefined) return this.refuse(session, request, 'proof_missing', 400)
    const proof = await verifyRegistration(jwt, this.config.algorithms)
    if (!proof.ok) return this.refuse(session, request, proof.reason, 400)
    const now = this.ctx.clock()
    const stamp = this.stamps.read('register', id, proof.jti)
    if (!stamp) return this.refuse(session, request, 'challenge_invalid', 400)
    if (now - stamp.time > this.config.challengeTtl) return this.refuse(session, request, 'challenge_expired', 400)
    const binding: DeviceBinding = { id: randomBytes(18).toString('base64url'), alg: proof.alg, jwk: proof.jwk, boundAt: now, usedAt: stamp.time }
    const outcome = await this.swap(id, (record) => (record.device ? 'already_bound' : binding))
    if (outcome !== 'ok') return this.refuse(session, request, outcome, outcome === 'already_bound' ? 409 : 401)
    this.ctx.events.emit({ type: 'dbsc.registered', id, userId: session.userId, alg: proof.alg, ...ipOf(session) })
    return this.instructions(binding, now, undefined)
  }

  /** Refresh: a proof over a live, unspent challenge of this binding earns a new bound cookie and the next challenge. */
  private async refresh(session: Session<SessionData>, request: DbscRequest): Promise<DbscReply> {
    const id = session.id
    const binding = session.deviceBinding
    if (id === null || session.userId === null) return this.refuse(session, request, 'no_session', 401)
    if (!binding) return this.refuse(session, request, 'not_bound', 401)
    if (readSfString(firstHeader(request.header, HEADERS.sessionId)) !== binding.id) return this.refuse(session, request, 'session_mismatch', 401)
    const jwt = readSfString(firstHeader(request.header, HEADERS.response))
    if (jwt === undefined) return this.challenge(binding) // the first half of a two-step refresh, not an attack
    const proof = await verifyRefresh(jwt, binding)
    if (!proof.ok) return this.refuse(session, request, proof.reason, 401)
    const now = this.ctx.clock()
    const stamp = this.stamps.read('refresh', binding.id, proof.jti)
    if (!stamp) return this.refuse(session, request, 'challenge_invalid', 403, binding)
    if (stamp.time <= binding.usedAt) return this.refuse(session, request, 'challenge_replayed', 403, binding)
    if (now - stamp.time > this.config.challengeTtl) return this.refuse(session, request, 'challenge_expired', 403, binding)
    let spent: DeviceBinding = binding
    const outcome = await this.swap(id, (record) => {
      if (record.device?.id !== binding.id) return 'not_bound'
      if (stamp.time <= record.device.usedAt) return 'challenge_replayed'
      return (spent = { ...record.device, usedAt: stamp.time })
    })
    if (outcome !== 'ok') return this.refuse(session, request, outcome, outcome === 'not_bound' ? 401 : 403, binding)
    this.ctx.events.emit({ type: 'dbsc.refreshed', id, userId: session.userId, ...ipOf(session) })
    return this.instructions(spent, now, this.stamps.issue('refresh', spent.id, Math.max(now, spent.usedAt + 1)))
  }

  private boundState(session: Session<SessionData>, cookieHeader: string | null | undefined): BoundState {
    const binding = session.deviceBinding
    if (!binding) return 'unbound'
    const lookup = readCookie(cookieHeader, this.config.cookie.name)
    if (lookup.problem) return 'bound_cookie_invalid'
    if (lookup.value === undefined) return 'bound_cookie_missing'
    const stamp = this.stamps.read('cookie', binding.id, lookup.value)
    if (!stamp) return 'bound_cookie_invalid'
    return stamp.time > this.ctx.clock() ? 'bound' : 'bound_cookie_expired'
  }

  /** Compare-and-swap on the record's device binding, retried while other requests bump the version. */
  private async swap(id: string, next: (record: SessionRecord) => DeviceBinding | DeviceBoundRejectReason): Promise<'ok' | DeviceBoundRejectReason> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const record = await this.ctx.failClosed(this.ctx.store.get(id))
      if (!record || record === 'corrupt') return 'no_session'
      const device = next(record)
      if (typeof device === 'string') return device
      const now = this.ctx.clock()
      const result = await this.ctx.failClosed(this.ctx.store.patch(id, { set: {}, unset: [], ttl: this.ctx.ttlFor(record, now), expectVersion: record.version, device }))
      if (result === 'ok') return 'ok'
      if (result === 'missing') return 'no_session'
    }
    return 'challenge_replayed'
  }

  /** 200 with the session instructions JSON and a fresh bound cookie (and, on refresh, the next challenge). */
  private instructions(binding: DeviceBinding, now: number, nextChallenge: string | undefined): DbscReply {
    const { cookie, refreshPath, boundCookieTtl } = this.config
    const attributes = [`Path=${cookie.path}`, ...(cookie.domain ? [`Domain=${cookie.domain}`] : []), ...(cookie.secure ? ['Secure'] : []), 'HttpOnly', `SameSite=${cookie.sameSite[0]?.toUpperCase()}${cookie.sameSite.slice(1)}`]
    const body = {
      session_identifier: binding.id,
      refresh_url: refreshPath,
      scope: { include_site: false },
      credentials: [{ type: 'cookie', name: cookie.name, attributes: attributes.join('; ') }],
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' }
    if (nextChallenge) headers[HEADERS.challenge] = `${sfString(nextChallenge)};id=${sfString(binding.id)}`
    const value = this.stamps.issue('cookie', binding.id, now + boundCookieTtl)
    return { status: 200, headers, cookies: [sessionCookie(cookie, value, boundCookieTtl / 1000)], body: JSON.stringify(body) }
  }

  /** 403 with a fresh challenge: the browser signs it and tries again. */
  private challenge(binding: DeviceBinding): DbscReply {
    const value = this.stamps.issue('refresh', binding.id, Math.max(this.ctx.clock(), binding.usedAt + 1))
    return refusal(403, 'proof_missing', { [HEADERS.challenge]: `${sfString(value)};id=${sfString(binding.id)}` })
  }

  /** Emits `dbsc.rejected` for a refusal decided outside this class (a route guard). @internal */
  report(session: Session<SessionData>, path: string, reason: DeviceBoundRejectReason): void {
    this.ctx.events.emit({ type: 'dbsc.rejected', reason, path, ...(session.id !== null && { id: session.id, userId: session.userId }), ...ipOf(session) })
  }

  private refuse(session: Session<SessionData>, request: DbscRequest, reason: DeviceBoundRejectReason, status: number, rechallenge?: DeviceBinding): DbscReply {
    this.report(session, request.path, reason)
    if (rechallenge && status === 403) return { ...this.challenge(rechallenge), body: refusal(status, reason).body }
    return refusal(status, reason)
  }
}

function ipOf(session: Session<SessionData>): { ip?: string } {
  return session.ip === undefined ? {} : { ip: session.ip }
}
