// Adapter for Fastify 5: a plugin giving a typed request.session, commit in onSend, guards as route hooks, outages as 503.
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify'
import type { FastifyRequestType, ResolveFastifyRequestType } from 'fastify/types/type-provider.js'
import { runWithSession } from '../context/storage.ts'
import type { Sessions } from '../core/manager.ts'
import type { Session } from '../core/session.ts'
import type { Guard } from '../guards/access.ts'
import type { SessionData } from '../core/types.ts'
import { holdResponse, type HoldPolicy } from './hold.ts'
import { loadSession, requestFacts, sendErrorReply } from './node-io.ts'
import {
  attached,
  CSRF_REJECTION,
  DENIED,
  errorReply,
  failureOf,
  isStoreDown,
  markFailed,
  STORE_DOWN,
  type ErrorReply,
} from './replies.ts'
import {
  commitHeaders,
  commitHeadersNow,
  csrfTokenFunction,
  deviceBoundStep,
  errorHeaders,
  formField,
  passesCsrf,
  requestChecks,
  type AdapterOptions,
  type SessionHeaders,
} from './steps.ts'

/**
 * Register your manager here to type `request.session` with your schema's data.
 *
 * @example
 * ```ts
 * declare module 'hallpass/fastify' {
 *   interface Register { sessions: typeof sessions }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- empty until the app registers its manager
export interface Register {}

/** The data type of the registered manager, or plain `SessionData` when none is registered. */
export type RegisteredData = Register extends { sessions: Sessions<infer D> } ? D : SessionData

/** What hallpass adds to Fastify's request. */
export interface SessionRequest {
  /** This request's session (set by the `session()` plugin). */
  session: Session<RegisteredData>
  /** The masked CSRF token for forms (`_csrf`) and `x-csrf-token` headers. */
  csrfToken: () => string
}

declare module 'fastify' {
  // Added through `extends`, so a program that also loads @fastify/session still compiles.
  // The parameters must repeat fastify's own for the declarations to merge, used or not.
  /* eslint-disable @typescript-eslint/no-unused-vars */
  interface FastifyRequest<
    RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> =
      RawRequestDefaultExpression<RawServer>,
    SchemaCompiler extends FastifySchema = FastifySchema,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    ContextConfig = ContextConfigDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
    RequestType extends FastifyRequestType = ResolveFastifyRequestType<
      TypeProvider,
      SchemaCompiler,
      RouteGeneric
    >,
  > extends SessionRequest {}
  /* eslint-enable @typescript-eslint/no-unused-vars */
}

/** Options for the `session()` plugin. */
export interface FastifySessionOptions extends AdapterOptions {}

/** The request as hallpass sees it, whatever other plugins declare `request.session` to be. */
const carrier = (
  request: FastifyRequest,
): { session: Session<SessionData> | null; csrfToken: (() => string) | null } =>
  request as unknown as { session: Session<SessionData> | null; csrfToken: (() => string) | null }

/**
 * A Fastify plugin (applied to the whole app) that loads the session into `request.session` in
 * `onRequest`, checks CSRF in `preHandler` for every method but GET, HEAD and OPTIONS
 * (`request.csrfToken()` gives the token), and commits it in `onSend`, before the reply is written (after
 * `reply.hijack()`, when the first byte is written to `reply.raw`). A store outage while
 * loading, in a handler or at commit becomes a JSON 503. `getSession()` from `hallpass/context`
 * works in hooks and handlers.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { session } from 'hallpass/fastify'
 * const app = Fastify()
 * await app.register(session(sessions))
 * app.get('/me', async (request) => ({ user: request.session.userId }))
 * ```
 */
export function session<D extends SessionData>(
  sessions: Sessions<D>,
  options: FastifySessionOptions = {},
): FastifyPluginCallback {
  const committed = new WeakSet<FastifyRequest>()
  const checks = requestChecks(sessions, options)

  // onRequest: load, then the DBSC step.
  const load = async (
    request: FastifyRequest,
    reply: FastifyReply,
    next: HookDone,
  ): Promise<void> => {
    try {
      const current = (await loadSession(
        sessions,
        request.raw,
        options,
      )) as unknown as Session<SessionData>
      carrier(request).session = current
      carrier(request).csrfToken = csrfTokenFunction(checks, current)
      holdWhenHijacked(reply, current, () => committed.add(request))
      const dbsc =
        checks?.deviceBound &&
        (await deviceBoundStep(checks.deviceBound, current, requestFacts(request.raw)))
      if (dbsc) {
        committed.add(request) // an endpoint's answer or a refusal: nothing of the app ran, nothing to commit
        if (dbsc.cookies.length > 0) reply.header('set-cookie', [...dbsc.cookies])
        return void reply.code(dbsc.status).headers(dbsc.headers).send(dbsc.body)
      }
      runWithSession(current, next)
    } catch (err) {
      if (isStoreDown(err))
        return void reply.code(STORE_DOWN.status).headers(STORE_DOWN.headers).send(STORE_DOWN.body)
      next(err as Error)
    }
  }

  // preHandler: CSRF runs after body parsing (so a `_csrf` form field can be read); body parsing also
  // runs outside the request's async context, so enter it again for the handler.
  const check = (request: FastifyRequest, reply: FastifyReply, next: HookDone): void => {
    const current = carrier(request).session
    if (!current) return next()
    if (!checks?.csrf) return runWithSession(current, next)
    passesCsrf(checks.csrf, current, requestFacts(request.raw), options, () =>
      formField(request.body),
    ).then(
      (ok) =>
        ok
          ? runWithSession(current, next)
          : void reply
              .code(CSRF_REJECTION.status)
              .headers(CSRF_REJECTION.headers)
              .send(CSRF_REJECTION.body),
      (err: unknown) => next(err as Error),
    )
  }

  // onSend: commit, or after a hallpass error (onError) the error reply with only the id cookies. A reply
  // that changed nothing is committed without awaiting: the hook calls `done` before it returns.
  const commit = (
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: SendDone,
  ): void => {
    const current = carrier(request).session
    if (!current || committed.has(request)) return done(null, payload)
    committed.add(request)
    const failure = failureOf(current)
    if (failure) return replaceAfterFailure(reply, payload, current, failure, done)
    const now = commitHeadersNow(current)
    if (now) return done(null, withHeaders(reply, now, payload))
    commitHeaders(current)
      .then((headers) => withHeaders(reply, headers, payload))
      .then(
        (sent) => done(null, sent),
        (err: unknown) => {
          const known = errorReply(err)
          if (!known) return done(err as Error)
          replaceAfterFailure(reply, payload, current, known, done)
        },
      )
  }

  const plugin: FastifyPluginCallback = (fastify, _options, done) => {
    fastify.decorateRequest('session', null as never)
    fastify.decorateRequest('csrfToken', null as never)
    fastify.addHook('onRequest', (request, reply, next) => void load(request, reply, next))
    fastify.addHook('preHandler', check)
    fastify.addHook('onError', async (request, _reply, error) => {
      const known = errorReply(error)
      if (known) markFailed(carrier(request).session ?? undefined, known)
    })
    fastify.addHook('onSend', commit)
    done()
  }
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'hallpass',
  })
  return plugin
}

/** A hook's `done` callback. */
type HookDone = (err?: Error) => void

/**
 * `reply.hijack()` skips onSend, so the commit moves onto the raw response: its first writeHead/write/end
 * is held until the session is committed and its Set-Cookie added (the Express gate, src/adapters/hold.ts).
 */
function holdWhenHijacked(
  reply: FastifyReply,
  session: Session<SessionData>,
  claim: () => void,
): void {
  const hijack = reply.hijack
  reply.hijack = function (this: FastifyReply) {
    claim()
    holdResponse(reply.raw, COMMIT_AFTER_HIJACK, session, undefined)
    return hijack.call(this)
  }
}

/** The gate's ending for a hijacked reply: commit, then the JSON 503/409 (or a closed connection) if that fails. */
const COMMIT_AFTER_HIJACK: HoldPolicy<undefined> = {
  commit: commitHeaders,
  commitNow: commitHeadersNow,
  failed: (err, res, session) => {
    const known = errorReply(err)
    if (!known) return void res.destroy(err instanceof Error ? err : undefined)
    void errorHeaders(session, false).then((headers) => sendErrorReply(res, known, headers.cookies))
  },
}

/** onSend's `done`: the payload to send, or an error. */
type SendDone = (err: Error | null, payload?: unknown) => void

/** Adds a commit's headers to the reply and gives back its payload. */
function withHeaders(reply: FastifyReply, headers: SessionHeaders, payload: unknown): unknown {
  if (headers.cookies.length > 0) reply.header('set-cookie', [...headers.cookies])
  if (headers.noStore) reply.header('cache-control', 'no-store')
  if (headers.headers)
    for (const [name, value] of Object.entries(headers.headers)) reply.header(name, value)
  return payload
}

/** The error reply for a failed request or commit, with only the id cookies; a throw while building it goes to `done`. */
function replaceAfterFailure(
  reply: FastifyReply,
  payload: unknown,
  session: Session<SessionData>,
  failure: ErrorReply,
  done: SendDone,
): void {
  errorHeaders(session, false)
    .then((headers) => replaceReply(reply, payload, failure, headers.cookies))
    .then(
      (sent) => done(null, sent),
      (err: unknown) => done(err as Error),
    )
}

/** Replaces the reply with a hallpass error reply (503, 409) and the id cookies: the app's headers and payload are dropped. */
function replaceReply(
  reply: FastifyReply,
  payload: unknown,
  replacement: ErrorReply,
  cookies: readonly string[],
): string {
  const stream = payload as { destroy?: () => void } | null
  if (typeof stream?.destroy === 'function') stream.destroy()
  for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name)
  reply.code(replacement.status).headers(replacement.headers)
  if (cookies.length > 0)
    reply.header('set-cookie', [...cookies]).header('cache-control', 'no-store')
  return replacement.body
}

/**
 * A route hook from a guard of `hallpass/guards`: a JSON 401 when anonymous, 403 when privileges
 * fall short. Put it in the route's `onRequest` (or `preHandler`), so no spelling of the path skips it.
 *
 * @example
 * ```ts
 * import { guard } from 'hallpass/fastify'
 * import { requireRole } from 'hallpass/guards'
 * app.get('/admin', { onRequest: guard(requireRole('admin')) }, async () => 'admin')
 * ```
 */
export function guard(
  check: Guard,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    const outcome = await check(attached(carrier(request).session, 'hallpass/fastify'))
    if (outcome === 'allow') return undefined
    const denied = DENIED[outcome]
    return reply.code(denied.status).send(denied.body)
  }
}
