// The default `onError` of every front door: the error, the method and the path; never the headers (the Cookie holds session tokens).

/**
 * Logs an error a handler threw with `console.error`, naming the request by its method and path only: not its
 * headers (the Cookie header carries the session token, and a log is read by more people than the session's owner)
 * and not its query string (which may carry one-time codes). Takes a Fetch `Request` or a node `IncomingMessage`.
 * Internal: each door's `onError` option defaults to it.
 */
export function reportError(
  err: unknown,
  request: { readonly method?: string | undefined; readonly url?: string | undefined },
): void {
  console.error(`hallpass: ${request.method ?? 'request'} ${pathOf(request.url)} failed:`, err)
}

/**
 * The path as the request sent it, without its query: a node request's target as is (the path the app routed), a
 * Fetch request's absolute URL (or an absolute-form target) by its pathname, so no user info is logged either.
 */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '(no url)'
  if (url.startsWith('/')) return url.split('?', 1)[0] ?? ''
  try {
    return new URL(url).pathname
  } catch {
    return '(unparsable url)'
  }
}
