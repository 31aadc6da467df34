// What every scenario app shares: a manager on an injected clock, a store that can go down, a user store, and one route table.
import { setTimeout as sleep } from 'node:timers/promises'
import { getSession } from '../../../src/context/index.ts'
import { csrfToken } from '../../../src/csrf/index.ts'
import type { Session } from '../../../src/core/session.ts'
import {
  createAccess,
  requirePermission,
  requireRole,
  type Guard,
  type Privileges,
} from '../../../src/guards/index.ts'
import { sealedCookies } from '../../../src/sealed/index.ts'
import { memoryStore } from '../../../src/stores/memory.ts'
import type { Store } from '../../../src/stores/types.ts'
import type { CookieOptions } from '../../../src/core/cookies.ts'
import { testClock, type TestClock } from '../../support/clock.ts'
import { testSessions } from '../../support/sessions.ts'

export const IDLE_MS = 30 * 60_000
export const ABSOLUTE_MS = 4 * 3_600_000

/** What an outage store can be told: fail every call (`down`) or only some methods (`failing`), write slowly, lose every compare-and-swap. */
export interface OutageControls {
  down: boolean
  readonly failing: Set<string>
  writeDelayMs: number
  /** Every patch with `expectVersion` answers 'conflict', as if another process always won. */
  conflicts: boolean
}

/** A store that fails calls the way a network client does, while `down` is true (or for the methods in `failing`), and can be made slow to write. */
export function outageStore(inner: Store): Store & OutageControls {
  const wrapped = {
    kind: inner.kind,
    down: false,
    failing: new Set(),
    writeDelayMs: 0,
    conflicts: false,
  } as unknown as Store & OutageControls
  for (const method of ['get', 'create', 'patch', 'destroy', 'listByUser', 'revoke'] as const) {
    ;(wrapped as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      if (wrapped.down || wrapped.failing.has(method))
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379 (secret-internal-host)')
      if (
        wrapped.conflicts &&
        method === 'patch' &&
        (args[1] as { expectVersion?: number }).expectVersion !== undefined
      )
        return 'conflict'
      if (wrapped.writeDelayMs > 0 && (method === 'create' || method === 'patch'))
        await sleep(wrapped.writeDelayMs)
      return (inner[method] as (...a: unknown[]) => Promise<unknown>).apply(inner, args)
    }
  }
  return wrapped
}

/** How sessions are kept: in the store, in the store behind the cookie cache, sealed in the cookie (with a revocation store), or device-bound (DBSC). */
export type Mode = 'store' | 'cache' | 'sealed' | 'dbsc'

/** What a later deploy of the same app shares with the first (`redeploy`), and the cookie settings it runs with. */
export interface WorldOptions {
  readonly clock?: TestClock
  readonly store?: Store & OutageControls
  readonly cookie?: CookieOptions
}

/** One scenario's server-side world. */
export function createWorld(mode: Mode = 'store', options: WorldOptions = {}) {
  const clock = options.clock ?? testClock()
  const store = options.store ?? outageStore(memoryStore({ clock }))
  const backing =
    mode === 'sealed'
      ? { store: sealedCookies({ revocation: store }) }
      : {
          store,
          ...(mode === 'cache' && { cookieCache: { ttl: '30s' as const } }),
          ...(mode === 'dbsc' && { deviceBound: { boundCookieTtl: '10m' as const } }),
        }
  const cookie = options.cookie && { cookie: options.cookie }
  const { sessions, events } = testSessions({
    clock,
    ...backing,
    idleTimeout: IDLE_MS / 1000,
    absoluteTimeout: ABSOLUTE_MS / 1000,
    ...cookie,
  })
  const users = new Map<string, Privileges>()
  const live = createAccess({ load: (userId) => users.get(userId) ?? null })
  // CSRF is on by default in every adapter; the scenarios add one exact exemption to attack.
  const adapterOptions = { csrf: { exempt: ['/webhook/'] } }
  const hooks: Hooks = { parked: [], gates: new Map() }
  return {
    mode,
    clock,
    store,
    sessions,
    events,
    users,
    adapterOptions,
    hooks,
    routes: routes(live.requireRole('admin'), hooks),
  }
}
export type World = ReturnType<typeof createWorld>

/** The same app deployed again with other cookie settings: same mode, store, clock and secret. */
export function redeploy(world: World, cookie: CookieOptions): World {
  return createWorld(world.mode, { clock: world.clock, store: world.store, cookie })
}

/** What a route's neutral body gets from the app, whatever the framework. */
export interface RouteInput {
  readonly session: Session
  readonly query: URLSearchParams
  readonly body: unknown
}
export interface RouteReply {
  readonly status?: number
  readonly json: unknown
}
export interface Route {
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly guard?: Guard
  run(input: RouteInput): RouteReply | Promise<RouteReply>
}

/** What race scenarios reach into: sessions kept past their response, and gates a route waits at until the test opens them. */
export interface Hooks {
  /** Sessions handed out by `/park`, still held after their response was sent. */
  readonly parked: Session[]
  readonly gates: Map<
    string,
    { opened: Promise<void>; open(): void; reached: Promise<void>; reach(): void }
  >
}

/** The gate called `name` (created on first use): a route waits at it, the test opens it. */
export function gate(hooks: Hooks, name: string) {
  let found = hooks.gates.get(name)
  if (!found) {
    let open = (): void => undefined
    let reach = (): void => undefined
    const opened = new Promise<void>((resolve) => (open = resolve))
    const reached = new Promise<void>((resolve) => (reach = resolve))
    found = { opened, open, reached, reach }
    hooks.gates.set(name, found)
  }
  return found
}

/** Waits at the gate named in `?gate=`, if any, telling the test it got there. */
async function pause(hooks: Hooks, query: URLSearchParams): Promise<void> {
  const name = query.get('gate')
  if (!name) return
  const g = gate(hooks, name)
  g.reach()
  await g.opened
}

const list = (value: string | null): string[] => (value ? value.split(',') : [])
const view = (session: Session) => ({
  userId: session.userId,
  isNew: session.isNew,
  id: session.id,
  data: session.data,
  roles: session.roles,
})

function routes(liveAdmin: Guard, hooks: Hooks): Route[] {
  return [
    {
      method: 'POST',
      path: '/park',
      run: ({ session }) => (hooks.parked.push(session), { json: view(session) }),
    },
    {
      method: 'GET',
      path: '/slow',
      async run({ session, query }) {
        await pause(hooks, query)
        if (query.get('set')) session.set(query.get('set') as string, 'late')
        return { json: view(session) }
      },
    },
    {
      method: 'POST',
      path: '/rotate',
      async run({ session, query }) {
        await rotate(session, query.get('how'), list(query.get('roles')))
        await pause(hooks, query)
        if (query.get('throw')) throw new Error('the handler failed after the id changed')
        return { json: view(session) }
      },
    },
    { method: 'GET', path: '/whoami', run: ({ session }) => ({ json: view(session) }) },
    { method: 'GET', path: '/api/auth/session', run: ({ session }) => ({ json: status(session) }) },
    {
      method: 'POST',
      path: '/login',
      async run({ session, query }) {
        await session.login(query.get('user') ?? 'alice', {
          roles: list(query.get('roles')),
          permissions: list(query.get('permissions')),
        })
        return { json: view(session) }
      },
    },
    {
      method: 'POST',
      path: '/logout',
      run: async ({ session }) => (await session.logout(), { json: view(session) }),
    },
    {
      method: 'POST',
      path: '/set',
      run: ({ session, query }) => (
        session.set(query.get('key') ?? 'k', query.get('value') ?? ''),
        { json: view(session) }
      ),
    },
    {
      method: 'POST',
      path: '/incr',
      async run({ session, query }) {
        const key = query.get('key') ?? 'n'
        await pause(hooks, query)
        const data = await session.update(
          (draft) => void (draft[key] = Number(draft[key] ?? 0) + 1),
        )
        if (query.get('throw')) throw new Error('the handler failed after update()')
        return { json: data }
      },
    },
    {
      method: 'POST',
      path: '/bump',
      run({ session, query }) {
        const key = query.get('key') ?? 'n'
        session.set(key, Number(session.get(key) ?? 0) + 1) // read-modify-write through get/set, as apps port it
        return { json: view(session) }
      },
    },
    {
      method: 'GET',
      path: '/admin',
      guard: requireRole('admin'),
      run: () => ({ json: { secret: 'admin-secret' } }),
    },
    {
      method: 'GET',
      path: '/reports',
      guard: requirePermission('reports:read'),
      run: () => ({ json: { secret: 'reports-secret' } }),
    },
    {
      method: 'GET',
      path: '/live-admin',
      guard: liveAdmin,
      run: () => ({ json: { secret: 'live-admin-secret' } }),
    },
    { method: 'GET', path: '/context', run: ({ session }) => fromContext(session) },
    {
      method: 'GET',
      path: '/csrf-token',
      run: ({ session }) => ({ json: { token: csrfToken(session) } }),
    },
    { method: 'POST', path: '/webhook/', run: ({ session }) => ({ json: view(session) }) },
    { method: 'POST', path: '/context', run: ({ session, body }) => fromContext(session, body) },
  ]
}

/** The status endpoint of hallpass/client (docs/client.md), as the framework guides write it. */
function status(session: Session) {
  if (!session.isAuthenticated) return { authenticated: false }
  const { id, createdAt, expiresAt, idleExpiresAt } = session
  return {
    authenticated: true,
    user: { id: session.userId },
    session: { id, createdAt, expiresAt, idleExpiresAt },
  }
}

/** Changes the id (or ends the session) the way the request asks; `roles` (if any) go with a regenerate. */
async function rotate(session: Session, how: string | null, roles: string[]): Promise<void> {
  if (how === 'login') await session.login('alice')
  else if (how === 'logout') await session.logout()
  else await session.regenerate(roles.length > 0 ? { roles } : {})
}

/** Reads the session through hallpass/context after an async hop, as deep application code would. */
async function fromContext(session: Session, body?: unknown): Promise<RouteReply> {
  await sleep(1)
  const found = getSession()
  return { json: { same: found === session, userId: found.userId, body: body ?? null } }
}

/** The route for a method and an exact path (HEAD is served by GET), as a strict router would pick it. */
export function findRoute(all: readonly Route[], method: string, path: string): Route | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method
  return all.find((route) => route.method === wanted && route.path === path)
}
