// The DBSC server: answers the registration and refresh endpoints, checks the bound cookie, and offers registration.
import { sessionControl } from '../core/control.ts'
import { randomBytes } from '../crypto/node-crypto.ts'
import type { DeviceBoundRejectReason } from '../core/events.ts'
import type { Internals, Privileges, ReissuePlan } from '../core/internals.ts'
import type { KeyRing } from '../crypto/keyring.ts'
import type { DeviceBinding, SessionData, SessionRecord } from '../core/types.ts'
import { BoundCookie, type BoundState } from './bound-cookie.ts'
import type { DbscResponseExtras, DeviceJudge, DeviceRequestState } from './request-state.ts'
import { RequestScope, scopeOf } from '../pipeline/scope.ts'
import { Session } from '../core/session.ts'
import { firstHeader, HEADERS, readSfString, sfString } from './headers.ts'
import type { ResolvedDeviceBound } from './options.ts'
import { verifyRefresh, verifyRegistration } from './proof.ts'
import { refusal, retryReply, type DbscReply } from './replies.ts'
import { stageReissue, swapBinding } from './reissue.ts'
import { StampCodec } from './tokens.ts'

export type { BoundState, DbscResponseExtras }

/** What the DBSC step reads from a request. */
export interface DbscRequest {
  readonly method: string
  /** Raw path, without the query string. */
  readonly path: string
  /**
   * The raw request target (path and query): where a request whose bound cookie did not pass is sent again.
   * @default path
   */
  readonly target?: string | undefined
  /** The raw Cookie header. */
  readonly cookie: string | null | undefined
  readonly header: (name: string) => string | null | undefined
}

/**
 * For a route guard: true when this request may act for its session, i.e. the DBSC step ran for it and the session
 * never registered a key, or it carries a live bound cookie. A session the step never saw (no request scope, or no
 * device state in it) is refused. A refusal is reported as a `dbsc.rejected` event.
 */
export function passesDeviceCheck(session: Session<SessionData>): boolean {
  const state = scopeOf(session)?.device
  if (!state) return false
  if (!session.deviceBinding || state.bound === 'bound') return true
  state.server.report(
    session,
    state.path,
    state.bound === 'unbound' ? 'bound_cookie_missing' : state.bound,
  )
  return false
}

/** The DBSC server an app without an adapter calls (`sessions.deviceBound`, docs/dbsc.md). */
export interface DeviceBoundServer {
  /**
   * Runs before the app's handler: answers the two DBSC endpoints (returns the reply to send), or records the
   * request's bound-cookie state and returns undefined. With `enforce: 'session'`, a request of a bound session
   * without its bound cookie goes on as anonymous, and one whose bound cookie did not pass gets a 307 to itself
   * that removes it (a DBSC browser refreshes, then sends the request again).
   */
  handle(session: Session<SessionData>, request: DbscRequest): Promise<DbscReply | undefined>
  /** The `Secure-Session-Registration` header value to add to this response, if the session should register. */
  registrationHeader(session: Session<SessionData>): string | undefined
  /**
   * What to add to the response after commit: the registration offer, and a `Set-Cookie` removing the bound
   * cookie when this request staged a re-issue (so the browser refreshes with its key before its next request).
   */
  afterCommit(session: Session<SessionData>): DbscResponseExtras | undefined
}

/** @internal Built by the manager when `deviceBound` is set. */
export class DeviceBound implements DeviceBoundServer, DeviceJudge {
  private readonly stamps: StampCodec
  private readonly bound: BoundCookie

  constructor(
    readonly config: ResolvedDeviceBound,
    private readonly ctx: Internals<SessionData>,
    keys: KeyRing,
  ) {
    this.stamps = new StampCodec(keys)
    this.bound = new BoundCookie(config, this.stamps)
  }

  async handle(
    session: Session<SessionData>,
    request: DbscRequest,
  ): Promise<DbscReply | undefined> {
    if (request.method === 'POST' && request.path === this.config.registrationPath)
      return this.register(session, request)
    if (request.method === 'POST' && request.path === this.config.refreshPath)
      return this.refresh(session, request)
    const bound = this.bound.state(session.deviceBinding, request.cookie, this.ctx.clock())
    const state: DeviceRequestState = {
      server: this,
      bound,
      path: request.path,
      loadedCreatedAt: session.createdAt,
      clearBound: false,
    }
    scopeOrNew(session).device = state
    if (bound === 'bound' || bound === 'unbound' || bound === 'bound_cookie_missing') {
      // Without the bound cookie (a lost key, or only the session cookie copied) the request is anonymous: it can sign
      // in again at once, and can neither act for the session nor end it.
      if (bound === 'bound_cookie_missing' && this.config.enforce === 'session') {
        this.report(session, request.path, bound)
        sessionControl().setAside(session)
      }
      return undefined
    }
    // A bound cookie that did not pass goes: a DBSC browser refreshes (proving its key) before its next request.
    state.clearBound = true
    if (this.config.enforce !== 'session') return undefined
    this.report(session, request.path, bound)
    return retryReply(request.target ?? request.path, this.bound.clear())
  }

  /**
   * The `Secure-Session-Registration` value for a response: only for a signed-in session without a key, on the
   * response that started it (login), once. Re-issued ids (`regenerate()`) are not offered again.
   */
  registrationHeader(session: Session<SessionData>): string | undefined {
    const state = scopeOf(session)?.device
    const id = session.id
    if (!state || id === null || session.userId === null || session.deviceBinding) return undefined
    if (session.createdAt === state.loadedCreatedAt) return undefined
    const challenge = this.stamps.issue('register', id, this.ctx.clock())
    return `(${this.config.algorithms.join(' ')});path=${sfString(this.config.registrationPath)};challenge=${sfString(challenge)}`
  }

  afterCommit(session: Session<SessionData>): DbscResponseExtras | undefined {
    const state = scopeOf(session)?.device
    if (!state) return undefined
    const offer = this.registrationHeader(session)
    const clear = state.clearBound ? [this.bound.clear()] : undefined
    state.clearBound = false
    if (offer === undefined && !clear) return undefined
    return {
      ...(offer !== undefined && { headers: { [HEADERS.registration]: offer } }),
      ...(clear && { cookies: clear }),
    }
  }

  /**
   * `regenerate()` on a bound session (`Internals.deviceReissue`): in a refresh, rotate now with the spent binding;
   * anywhere else, stage the re-issue on the binding and remove this response's bound cookie. @internal
   */
  async reissue(handle: object, record: SessionRecord, changes: Privileges): Promise<ReissuePlan> {
    const state = handle instanceof Session ? scopeOf(handle)?.device : undefined
    if (state?.rotateWith) return { device: state.rotateWith }
    const plan = await stageReissue(this.ctx, record, record.device as DeviceBinding, changes)
    if (state) state.clearBound = true
    return plan
  }

  /** Registration: verify the self-signed proof over our challenge, store the key, answer with instructions. */
  private async register(session: Session<SessionData>, request: DbscRequest): Promise<DbscReply> {
    const id = session.id
    if (id === null || session.userId === null)
      return this.refuse(session, request, 'no_session', 401)
    if (session.deviceBinding) return this.refuse(session, request, 'already_bound', 409)
    const jwt = readSfString(firstHeader(request.header, HEADERS.response))
    if (jwt === undefined) return this.refuse(session, request, 'proof_missing', 400)
    const proof = await verifyRegistration(jwt, this.config.algorithms)
    if (!proof.ok) return this.refuse(session, request, proof.reason, 400)
    const now = this.ctx.clock()
    const stamp = this.stamps.read('register', id, proof.jti)
    if (!stamp) return this.refuse(session, request, 'challenge_invalid', 400)
    if (now - stamp.time > this.config.challengeTtl)
      return this.refuse(session, request, 'challenge_expired', 400)
    const binding: DeviceBinding = {
      id: randomBytes(18).toString('base64url'),
      alg: proof.alg,
      jwk: proof.jwk,
      boundAt: now,
      usedAt: stamp.time,
    }
    const outcome = await swapBinding(this.ctx, id, (record) =>
      record.device ? 'already_bound' : binding,
    )
    if (outcome !== 'ok')
      return this.refuse(session, request, outcome, outcome === 'no_session' ? 401 : 409)
    this.ctx.events.emit({
      type: 'dbsc.registered',
      id,
      userId: session.userId,
      alg: proof.alg,
      ...ipOf(session),
    })
    return this.instructions(binding, now, [])
  }

  /**
   * Refresh: a proof over a live, unspent challenge of this binding earns a new bound cookie and the next challenge,
   * and, when a re-issue waits on the binding, the session's new id.
   */
  private async refresh(session: Session<SessionData>, request: DbscRequest): Promise<DbscReply> {
    const id = session.id
    const binding = session.deviceBinding
    if (id === null || session.userId === null)
      return this.refuse(session, request, 'no_session', 401)
    if (!binding) return this.refuse(session, request, 'not_bound', 401)
    if (readSfString(firstHeader(request.header, HEADERS.sessionId)) !== binding.id)
      return this.refuse(session, request, 'session_mismatch', 401)
    const jwt = readSfString(firstHeader(request.header, HEADERS.response))
    if (jwt === undefined) return this.challenge(binding) // the first half of a two-step refresh, not an attack
    const proof = await verifyRefresh(jwt, binding)
    if (!proof.ok) return this.refuse(session, request, proof.reason, 401)
    const now = this.ctx.clock()
    const stamp = this.stamps.read('refresh', binding.id, proof.jti)
    if (!stamp) return this.refuse(session, request, 'challenge_invalid', 403, binding)
    if (stamp.time <= binding.usedAt)
      return this.refuse(session, request, 'challenge_replayed', 403, binding)
    if (now - stamp.time > this.config.challengeTtl)
      return this.refuse(session, request, 'challenge_expired', 403, binding)
    let spent: DeviceBinding = binding
    const outcome = await swapBinding(this.ctx, id, (record) => {
      if (record.device?.id !== binding.id) return 'not_bound'
      if (stamp.time <= record.device.usedAt) return 'challenge_replayed'
      return (spent = { ...record.device, usedAt: stamp.time })
    })
    if (outcome !== 'ok') {
      return this.refuse(
        session,
        request,
        outcome,
        outcome === 'not_bound' || outcome === 'no_session' ? 401 : 403,
        binding,
      )
    }
    this.ctx.events.emit({ type: 'dbsc.refreshed', id, userId: session.userId, ...ipOf(session) })
    const cookies = spent.pending ? await this.reissueNow(session, spent) : []
    const { pending: _done, ...live } = spent
    return this.instructions(live, now, cookies)
  }

  /** The re-issue that waited on the binding, now that the key is proven: new id, staged privileges, cookie. */
  private async reissueNow(
    session: Session<SessionData>,
    binding: DeviceBinding,
  ): Promise<string[]> {
    const { pending, ...live } = binding
    scopeOrNew(session).device = {
      server: this,
      bound: 'bound',
      path: this.config.refreshPath,
      loadedCreatedAt: session.createdAt,
      clearBound: false,
      rotateWith: live,
    }
    await session.regenerate({
      ...(pending?.roles && { roles: pending.roles }),
      ...(pending?.permissions && { permissions: pending.permissions }),
    })
    return (await session.commit()).cookies
  }

  /**
   * 200 with the session instructions JSON, a fresh bound cookie (after `cookies`, such as a re-issued session
   * cookie) and the next challenge, which the browser keeps so that its next refresh is a single request.
   */
  private instructions(binding: DeviceBinding, now: number, cookies: readonly string[]): DbscReply {
    const body = {
      session_identifier: binding.id,
      refresh_url: this.config.refreshPath,
      scope: { include_site: false },
      credentials: [this.bound.credential],
    }
    const challenge = this.stamps.issue('refresh', binding.id, Math.max(now, binding.usedAt + 1))
    const headers = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      [HEADERS.challenge]: `${sfString(challenge)};id=${sfString(binding.id)}`,
    }
    return {
      status: 200,
      headers,
      cookies: [...cookies, this.bound.issue(binding, now)],
      body: JSON.stringify(body),
    }
  }

  /** 403 with a fresh challenge: the browser signs it and tries again. */
  private challenge(binding: DeviceBinding): DbscReply {
    const value = this.stamps.issue(
      'refresh',
      binding.id,
      Math.max(this.ctx.clock(), binding.usedAt + 1),
    )
    return refusal(403, 'proof_missing', {
      [HEADERS.challenge]: `${sfString(value)};id=${sfString(binding.id)}`,
    })
  }

  /** Emits `dbsc.rejected` for a refusal decided outside this class (a route guard). @internal */
  report(session: Session<SessionData>, path: string, reason: DeviceBoundRejectReason): void {
    this.ctx.events.emit({
      type: 'dbsc.rejected',
      reason,
      path,
      ...(session.id !== null && { id: session.id, userId: session.userId }),
      ...ipOf(session),
    })
  }

  private refuse(
    session: Session<SessionData>,
    request: DbscRequest,
    reason: DeviceBoundRejectReason,
    status: number,
    rechallenge?: DeviceBinding,
  ): DbscReply {
    this.report(session, request.path, reason)
    if (rechallenge && status === 403)
      return { ...this.challenge(rechallenge), body: refusal(status, reason).body }
    return refusal(status, reason)
  }
}

/** The request's scope; an app that calls `handle()` without a front door gets one here. */
function scopeOrNew(session: Session<SessionData>): RequestScope {
  return scopeOf(session) ?? new RequestScope(session)
}

function ipOf(session: Session<SessionData>): { ip?: string } {
  return session.ip === undefined ? {} : { ip: session.ip }
}
