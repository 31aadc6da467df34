// The one request pipeline every front door runs: load, device binding, CSRF, handler, commit, error reply.
import { runWithSession } from '../context/storage.ts'
import { sessionControl } from '../core/control.ts'
import { assertSessions, telemetryOf, type Sessions } from '../core/manager.ts'
import type { CommitResult } from '../core/session.ts'
import type { SessionTelemetry } from '../core/telemetry.ts'
import type { SessionData } from '../core/types.ts'
import { createCsrf, csrfToken, noCsrfState, type Csrf, type CsrfVerdict } from '../csrf/index.ts'
import type { DeviceBoundServer } from '../dbsc/device-bound.ts'
import {
  clientIp,
  selfOrigin,
  type AdapterOptions,
  type ClientFacts,
  type FormToken,
  type RequestFacts,
} from './facts.ts'
import { CSRF_REJECTED, errorReply, INTERNAL_ERROR, withCookies } from './replies.ts'
import { RequestScope, type Reply } from './scope.ts'

/** The headers a committed session adds: its Set-Cookie values, and whether `Cache-Control: no-store` applies. */
export interface SessionHeaders {
  readonly cookies: readonly string[]
  readonly noStore: boolean
  /** Other response headers (the DBSC registration offer). */
  readonly headers?: Readonly<Record<string, string>>
}

/** How a request ended in an error: the reply to send, and whether hallpass knew the error (else report it). */
export interface Failure {
  readonly reply: Reply
  readonly known: boolean
}

const NO_COOKIES: SessionHeaders = { cookies: [], noStore: true }

/**
 * The steps of one front door, built once (at `session()`, `withSession()`, `nextSessions()`...) and run for each
 * request in this order: `load`, `check` (DBSC, then CSRF), the handler inside `run`, `commit` (or `commitNow`),
 * and `fail` when anything threw. The door only translates its framework's request and response.
 */
export class Pipeline<D extends SessionData> {
  /** The CSRF protector, unless `csrf: false`. */
  readonly csrf: Csrf | undefined
  /** The DBSC server, when `createSessions({ deviceBound })` is on. */
  readonly deviceBound: DeviceBoundServer | undefined
  /** False when DBSC and CSRF are both off: the door then reads no request facts and awaits nothing before the handler. */
  readonly checks: boolean
  private readonly trustProxy: boolean
  /** `createSessions({ telemetry })`: the load and the commit run in spans. Undefined (off): one null check each. */
  private readonly telemetry: SessionTelemetry | undefined

  constructor(
    readonly sessions: Sessions<D>,
    options: AdapterOptions,
  ) {
    assertSessions(sessions, 'The session middleware')
    this.csrf = options.csrf === false ? undefined : createCsrf(sessions, options.csrf ?? {})
    this.deviceBound = sessions.deviceBound
    this.checks = this.csrf !== undefined || this.deviceBound !== undefined
    this.trustProxy = options.trustProxy ?? false
    this.telemetry = telemetryOf(sessions)
  }

  /** 1. Loads the session (the client IP by the `trustProxy` rule) and opens the request's scope. Throws only STORE_UNAVAILABLE. */
  async load(client: ClientFacts): Promise<RequestScope<D>> {
    const ip = clientIp(client.socketIp, client.forwardedFor, this.trustProxy)
    const input = { cookie: client.cookie, ip, userAgent: client.userAgent ?? undefined }
    const { telemetry } = this
    const session = await (telemetry
      ? telemetry.load(() => this.sessions.load(input))
      : this.sessions.load(input))
    return new RequestScope(session, telemetry)
  }

  /**
   * 2 and 3. The device-binding step (its endpoints answer here; a bound session without its bound cookie is set
   * aside or sent back), then the CSRF check. A reply to send instead of the handler, or undefined to go on.
   */
  async check(
    scope: RequestScope<SessionData>,
    facts: RequestFacts,
    formToken?: FormToken,
  ): Promise<Reply | undefined> {
    const dbsc = await this.deviceStep(scope, facts)
    if (dbsc) return dbsc
    if (!this.csrf) return undefined
    return (await this.csrfVerdict(this.csrf, scope, facts, formToken)).ok
      ? undefined
      : CSRF_REJECTED
  }

  /** The device-binding step alone (undefined: go on). */
  deviceStep(
    scope: RequestScope<SessionData>,
    facts: RequestFacts,
  ): Promise<Reply | undefined> | undefined {
    const { method, path, target, header } = facts
    return this.deviceBound?.handle(scope.session, {
      method,
      path,
      target,
      cookie: header('cookie'),
      header,
    })
  }

  /** The CSRF check with the reason of a refusal (Next's server actions explain it); the state joins the scope. */
  csrfVerdict(
    csrf: Csrf,
    scope: RequestScope<SessionData>,
    facts: RequestFacts,
    formToken?: FormToken,
  ): Promise<CsrfVerdict> {
    const state = csrf.forRequest({
      method: facts.method,
      path: facts.path,
      selfOrigin: selfOrigin(facts, this.trustProxy),
      header: facts.header,
      ip: scope.session.ip, // already resolved by the trustProxy rule at load
    })
    scope.csrf = state
    return state.check(scope.session, formToken)
  }

  /** 4. Runs the handler with the session as `hallpass/context`'s current one (when the app imported it). */
  run<T>(scope: RequestScope<SessionData>, handler: () => T): T {
    return runWithSession(scope.session, handler)
  }

  /** The request's `csrfToken()` (Express's `req.csrfToken`...): with `csrf: false`, one shared function that throws CONFIG_INVALID. */
  csrfTokenFunction(scope: RequestScope<SessionData>): () => string {
    return this.csrf ? () => csrfToken(scope.session) : noCsrfState
  }

  /** 5. Commits and gives the headers to add (`commitHeaders`). */
  commit(scope: RequestScope<SessionData>): Promise<SessionHeaders> {
    return commitHeaders(scope)
  }

  /** `commitHeadersNow`: the headers without awaiting when nothing is to be written, else undefined. */
  commitNow(scope: RequestScope<SessionData>): SessionHeaders | undefined {
    return commitHeadersNow(scope)
  }

  /** 6. The error reply (`failure`). */
  fail(scope: RequestScope<SessionData> | undefined, err: unknown): Promise<Failure> {
    return failure(scope, err)
  }
}

/** Commits and gives the headers to add. After a recorded failure, only the cookie of an id already issued or ended. */
export async function commitHeaders(scope: RequestScope<SessionData>): Promise<SessionHeaders> {
  if (scope.failure) return idCookies(scope)
  return headersAfterCommit(scope, (await commitSession(scope)).cookies)
}

/** The session's commit, in the request's commit span when telemetry is on. */
function commitSession(scope: RequestScope<SessionData>): Promise<CommitResult> {
  const { session, telemetry } = scope
  return telemetry ? telemetry.commit(session, () => session.commit()) : session.commit()
}

/**
 * `commitHeaders` now, without awaiting, when the commit has nothing to write (a request that changed nothing, the
 * common read: no microtask, no held response); undefined when it must write.
 */
export function commitHeadersNow(scope: RequestScope<SessionData>): SessionHeaders | undefined {
  if (scope.failure) return idCookies(scope)
  const committed = sessionControl().commitWithoutWrite(scope.session)
  return committed && headersAfterCommit(scope, committed.cookies)
}

/**
 * The error reply: `errorReply`'s 503 or 409, else the bare 500. Either way it carries the cookie of an id the
 * request issued or ended (login, regenerate, logout; a logout in a store outage clears the cookies), so an error
 * never signs the user out. `known` is false for an error hallpass does not know (the door reports it).
 */
export async function failure(
  scope: RequestScope<SessionData> | undefined,
  err: unknown,
): Promise<Failure> {
  const known = errorReply(err)
  const headers = await errorHeaders(scope, known === undefined)
  return { reply: withCookies(known ?? INTERNAL_ERROR, headers.cookies), known: !!known }
}

/** The headers after a commit: its cookies, the CSRF pre-session cookie, and what DBSC adds. */
function headersAfterCommit(
  scope: RequestScope<SessionData>,
  cookies: readonly string[],
): SessionHeaders {
  const { session, csrf, device } = scope
  const extra = csrf?.cookies()
  const dbsc = device?.server.afterCommit(session)
  const all =
    (extra && extra.length > 0) || dbsc?.cookies
      ? [...cookies, ...(extra ?? []), ...(dbsc?.cookies ?? [])]
      : cookies
  const noStore = all.length > 0 || session.isAuthenticated
  return dbsc?.headers
    ? { cookies: all, noStore, headers: dbsc.headers }
    : { cookies: all, noStore }
}

/**
 * The session headers after an error. `write: false` (a hallpass error): nothing is written, only the cookie of
 * an id this request issued or ended goes out. Otherwise the changes are committed as usual, falling back to the
 * id cookies when that fails. Never throws.
 */
export async function errorHeaders(
  scope: RequestScope<SessionData> | undefined,
  write: boolean,
): Promise<SessionHeaders> {
  if (!scope) return NO_COOKIES
  if (write && !scope.failure) {
    try {
      return headersAfterCommit(scope, (await commitSession(scope)).cookies)
    } catch {
      // fall through to the id cookies only
    }
  }
  return idCookies(scope)
}

/** Only the cookie of an id this request issued or ended, without awaiting (`commit({ write: false })`). Never throws. */
export function idCookies(scope: RequestScope<SessionData>): SessionHeaders {
  try {
    return { cookies: sessionControl().commitAfterError(scope.session).cookies, noStore: true }
  } catch {
    return NO_COOKIES
  }
}
