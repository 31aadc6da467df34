// Adapter for Fastify 5: a plugin giving a typed request.session, commit in onSend, guards as route hooks, outages as 503.
import { HallpassError } from '../errors.ts'
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
import type { Sessions } from '../core/manager.ts'
import { Session } from '../core/session.ts'
import type { SessionData } from '../core/types.ts'
import type { Guard } from '../guards/access.ts'
import { checkDoorOptions, formField, type AdapterOptions } from '../pipeline/facts.ts'
import {
  commitHeaders,
  commitHeadersNow,
  idCookies,
  Pipeline,
  type SessionHeaders,
} from '../pipeline/pipeline.ts'
import {
  attached,
  CSRF_REJECTED,
  DENIED,
  errorReply,
  withCookies,
  type ErrorReply,
} from '../pipeline/replies.ts'
import { scopeOf, type Reply, type RequestScope } from '../pipeline/scope.ts'
import { holdResponse, type HoldPolicy } from './hold.ts'
import { clientFacts, requestFacts, sendErrorReply } from './node-io.ts'

/** Fastify's callbacks take an Error: a non-Error a session step rejected with becomes STORE_UNAVAILABLE (503). */
function asError(err: unknown): Error {
  if (err instanceof Error) return err
  return new HallpassError(
    'STORE_UNAVAILABLE',
    `hallpass: a session step failed with ${String(err)}`,
    {
      cause: err,
    },
  )
}

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

/** The scope of the session the plugin put on `request`, whatever other plugins declare `request.session` to be. */
function scopeOn(request: FastifyRequest): RequestScope | undefined {
  const value: unknown = Reflect.get(request, 'session')
  return value instanceof Session ? scopeOf(value) : undefined
}

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
  checkDoorOptions('hallpass/fastify session()', options, ['trustProxy', 'csrf'])
  const pipeline = new Pipeline(sessions, options)

  // onRequest: load, then the DBSC step.
  const load = async (
    request: FastifyRequest,
    reply: FastifyReply,
    next: HookDone,
  ): Promise<void> => {
    try {
      const scope = await pipeline.load(clientFacts(request.raw))
      Reflect.set(request, 'session', scope.session)
      request.csrfToken = pipeline.csrfTokenFunction(scope)
      holdWhenHijacked(reply, scope, () => committed.add(request))
      const dbsc =
        pipeline.deviceBound && (await pipeline.deviceStep(scope, requestFacts(request.raw)))
      if (dbsc) {
        committed.add(request) // an endpoint's answer or a refusal: nothing of the app ran, nothing to commit
        return void sendReply(reply, dbsc)
      }
      pipeline.run(scope, next)
    } catch (err) {
      const known = errorReply(err)
      if (known) return void sendReply(reply, withCookies(known, []))
      next(asError(err))
    }
  }

  // preHandler: CSRF runs after body parsing (so a `_csrf` form field can be read); body parsing also
  // runs outside the request's async context, so enter it again for the handler.
  const check = (request: FastifyRequest, reply: FastifyReply, next: HookDone): void => {
    const scope = scopeOn(request)
    if (!scope) return next()
    const csrf = pipeline.csrf
    if (!csrf) return pipeline.run(scope, next)
    pipeline
      .csrfVerdict(csrf, scope, requestFacts(request.raw), () => formField(request.body))
      .then(
        (verdict) =>
          verdict.ok ? pipeline.run(scope, next) : void sendReply(reply, CSRF_REJECTED),
        (err: unknown) => next(asError(err)),
      )
  }

  // onSend: commit (after a hallpass error, onError recorded it: only the id cookies). A reply that changed
  // nothing is committed without awaiting: the hook calls `done` before it returns.
  const commit = (
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: SendDone,
  ): void => {
    const scope = scopeOn(request)
    if (!scope || committed.has(request)) return done(null, payload)
    committed.add(request)
    const failure = scope.failure
    if (failure) return done(null, replaceReply(reply, payload, failure, idCookies(scope).cookies))
    const now = commitHeadersNow(scope)
    if (now) return done(null, withHeaders(reply, now, payload))
    commitHeaders(scope).then(
      (headers) => done(null, withHeaders(reply, headers, payload)),
      (err: unknown) => {
        const known = errorReply(err)
        if (!known) return done(asError(err))
        done(null, replaceReply(reply, payload, known, idCookies(scope).cookies))
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
      const scope = known && scopeOn(request)
      if (scope) scope.failure = withCookies(known, [])
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
function holdWhenHijacked(reply: FastifyReply, scope: RequestScope, claim: () => void): void {
  const hijack = reply.hijack
  reply.hijack = function (this: FastifyReply) {
    claim()
    holdResponse(reply.raw, COMMIT_AFTER_HIJACK, scope, undefined)
    return hijack.call(this)
  }
}

/** The gate's ending for a hijacked reply: commit, then the JSON 503/409 (or a closed connection) if that fails. */
const COMMIT_AFTER_HIJACK: HoldPolicy<undefined> = {
  commit: commitHeaders,
  commitNow: commitHeadersNow,
  failed: (err, res, scope) => {
    const known = errorReply(err)
    if (!known) return void res.destroy(err instanceof Error ? err : undefined)
    sendErrorReply(res, known, idCookies(scope).cookies)
  },
}

/** onSend's `done`: the payload to send, or an error. */
type SendDone = (err: Error | null, payload?: unknown) => void

/** Sends a reply the pipeline gives in place of the app's (a DBSC answer, a CSRF rejection, a 503). */
function sendReply(reply: FastifyReply, replacement: Reply): void {
  if (replacement.cookies.length > 0) reply.header('set-cookie', [...replacement.cookies])
  void reply.code(replacement.status).headers(replacement.headers).send(replacement.body)
}

/** Adds a commit's headers to the reply and gives back its payload. */
function withHeaders(reply: FastifyReply, headers: SessionHeaders, payload: unknown): unknown {
  if (headers.cookies.length > 0) reply.header('set-cookie', [...headers.cookies])
  if (headers.noStore) reply.header('cache-control', 'no-store')
  if (headers.headers)
    for (const [name, value] of Object.entries(headers.headers)) reply.header(name, value)
  return payload
}

/** Replaces the reply with a hallpass error reply (503, 409) and the id cookies: the app's headers and payload are dropped. */
function replaceReply(
  reply: FastifyReply,
  payload: unknown,
  replacement: ErrorReply,
  cookies: readonly string[],
): string {
  if (typeof payload === 'object' && payload !== null && 'destroy' in payload)
    if (typeof payload.destroy === 'function') payload.destroy()
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
    const outcome = await check(attached(scopeOn(request)?.session, 'hallpass/fastify'))
    if (outcome === 'allow') return undefined
    const denied = DENIED[outcome]
    return reply.code(denied.status).send(denied.body)
  }
}
