// What every route shares: the Hono environment, the app's dependencies, JSON errors and body parsing, the client IP.
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { z } from 'zod'
import type { Session, Sessions, Store } from 'hallpass'
import type { Access } from 'hallpass/guards'
import type { LoginThrottle } from 'hallpass/throttle'
import type { Assets } from './assets.ts'
import type { AppConfig } from './config.ts'
import type { Settings, User, Users } from './db.ts'
import type { Passwords } from './passwords.ts'

/** Everything the app needs, built by server.ts (or by a test). */
export interface AppDeps {
  readonly config: AppConfig
  readonly sessions: Sessions
  readonly store: Store
  readonly storeKind: 'sqlite' | 'redis' | 'postgres' | 'memory'
  readonly users: Users
  readonly settings: Settings
  readonly passwords: Passwords
  readonly throttle: LoginThrottle
  readonly access: Access
  /** The browser script (already bundled) and stylesheet. */
  readonly assets: Assets
}

/** The Hono environment: the session and CSRF token from hallpass/hono, and the signed-in user from the loader. */
export type AppEnv = {
  Bindings: { incoming?: { socket?: { remoteAddress?: string } } }
  Variables: {
    session: Session
    csrfToken: () => string
    /** Set by the user loader for signed-in requests, from the database (so name and role are current). */
    user: User | undefined
  }
}

export type AppContext = Context<AppEnv>

/** A JSON error with a stable code; `app.onError` turns it into `{ error: { code, message } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** The JSON error response. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return c.json({ error: { code, message } }, status, headers)
}

/** Reads and validates a JSON body; malformed JSON or a wrong shape throws a 400 ApiError. */
export async function readJson<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new ApiError(
      400,
      'MALFORMED_BODY',
      'Send a JSON body with Content-Type: application/json.',
    )
  let body: unknown
  try {
    body = await c.req.json()
  } catch {
    throw new ApiError(400, 'MALFORMED_BODY', 'The request body is not valid JSON.')
  }
  const parsed = schema.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
    throw new ApiError(400, 'INVALID_INPUT', `${where}${issue?.message ?? 'invalid input'}`)
  }
  return parsed.data
}

/** Reads an urlencoded or multipart form body as strings. */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody()
  const form: Record<string, string> = {}
  for (const [key, value] of Object.entries(body)) if (typeof value === 'string') form[key] = value
  return form
}

/** The client IP as the session adapter recorded it (the socket, or with TRUST_PROXY the last X-Forwarded-For hop). */
export function clientIp(c: AppContext): string | undefined {
  return c.get('session').ip
}

/** The signed-in user (set by the loader), or a 401 ApiError. */
export function currentUser(c: AppContext): User {
  const user = c.get('user')
  if (!user) throw new ApiError(401, 'UNAUTHENTICATED', 'Sign in to continue.')
  return user
}

/** Epoch ms as an ISO 8601 string. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}
