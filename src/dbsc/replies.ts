// The replies the DBSC step hands to adapters: status, headers, Set-Cookie values and a JSON body.

/** A complete response the adapter sends instead of running the app's handler. */
export interface DbscReply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** Set-Cookie values (the bound cookie). */
  readonly cookies: readonly string[]
  readonly body: string
}

const MESSAGES: Record<number, string> = {
  400: 'The device-bound session request was malformed.',
  401: 'This session is bound to another device, or its proof failed. Sign in again.',
  403: 'Sign the new challenge and try again.',
  409: 'This session already has a device key.',
}

/** A JSON refusal with `DEVICE_BOUND_REFUSED` and the typed reason. */
export function refusal(
  status: number,
  reason: string,
  headers: Record<string, string> = {},
): DbscReply {
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
    cookies: [],
    body: JSON.stringify({
      error: { code: 'DEVICE_BOUND_REFUSED', reason, message: MESSAGES[status] ?? 'Refused.' },
    }),
  }
}

/**
 * 307 back to the same request target, removing the bound cookie: a DBSC browser finds it missing, refreshes with its
 * key, and sends the request again (method and body kept); a copied cookie jar gets nowhere. Only a local path is
 * used: leading slashes and backslashes collapse to one slash, and a target with other than visible ASCII becomes `/`.
 */
export function retryReply(target: string, clearBoundCookie: string): DbscReply {
  const local = /^[\x21-\x7e]*$/.test(target) ? `/${target.replace(/^[/\\]+/, '')}` : '/'
  return {
    status: 307,
    headers: { location: local, 'cache-control': 'no-store' },
    cookies: [clearBoundCookie],
    body: '',
  }
}
