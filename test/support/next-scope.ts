// Runs code in Next.js's own request scope (its work and request stores), as Next does around a route handler or a server action.
import type { IncomingHttpHeaders } from 'node:http'
import { createRequestStoreForAPI } from 'next/dist/server/async-storage/request-store.js'
import { createWorkStore } from 'next/dist/server/async-storage/work-store.js'
import { workAsyncStorage } from 'next/dist/server/app-render/work-async-storage.external.js'
import { workUnitAsyncStorage } from 'next/dist/server/app-render/work-unit-async-storage.external.js'
import { appendMutableCookies } from 'next/dist/server/web/spec-extension/adapters/request-cookies.js'

/** What runs inside the scope gets the cookies written through `cookies()` back, to put on Next's answer. */
export interface NextScope {
  /** Adds the cookies written through `cookies().set()` to `response` (what Next does to a route handler's or an action's answer). */
  withWrittenCookies(response: Response): Response
}

// The parts of Next's render options a route's work store reads; a production server fills the same fields.
const RENDER_OPTS = {
  experimental: {},
  cacheLifeProfiles: {},
  isDraftMode: false,
  isOnDemandRevalidate: false,
}

/** Runs `fn` in a fresh Next request scope for `request` (phase "action": route handlers and server actions may set cookies). */
export function inNextScope(
  request: Request,
  page: string,
  fn: (scope: NextScope) => Promise<Response>,
): Promise<Response> {
  const headers: IncomingHttpHeaders = Object.fromEntries(request.headers)
  const url = new URL(request.url)
  const workStore = createWorkStore({
    page,
    renderOpts: { ...RENDER_OPTS },
    buildId: 'scenario',
    deploymentId: undefined,
    previouslyRevalidatedTags: [],
  } as unknown as Parameters<typeof createWorkStore>[0])
  const requestStore = createRequestStoreForAPI(
    { headers } as unknown as Parameters<typeof createRequestStoreForAPI>[0],
    { pathname: url.pathname, search: url.search },
    { tags: [], expirationsByCacheKind: new Map() } as unknown as Parameters<
      typeof createRequestStoreForAPI
    >[2],
    undefined,
    undefined as unknown as Parameters<typeof createRequestStoreForAPI>[4],
    undefined,
  )
  const scope: NextScope = {
    withWrittenCookies(response) {
      const out = new Response(response.body, response)
      appendMutableCookies(out.headers, requestStore.mutableCookies)
      return out
    },
  }
  return workAsyncStorage.run(workStore, () =>
    workUnitAsyncStorage.run(requestStore, () => fn(scope)),
  )
}
