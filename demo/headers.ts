// Security headers on every response (CSP, nosniff, Referrer-Policy, HSTS in production) and no-store caching rules.
import type { MiddlewareHandler } from 'hono'

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "base-uri 'none'",
].join('; ')

/**
 * Adds the security headers to every response, including errors and 404s. Everything is
 * `Cache-Control: no-store` (API answers, pages with CSRF tokens, anything that sets a cookie) except
 * the static assets under /assets/, which browsers may keep but must revalidate.
 */
export function securityHeaders(options: { production: boolean }): MiddlewareHandler {
  return async (c, next) => {
    await next()
    const headers = c.res.headers
    headers.set('content-security-policy', CSP)
    headers.set('x-content-type-options', 'nosniff')
    // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on form posts, which CSRF refuses.
    headers.set('referrer-policy', 'same-origin')
    headers.set('x-frame-options', 'DENY')
    headers.set('cross-origin-opener-policy', 'same-origin')
    headers.set('cross-origin-resource-policy', 'same-origin')
    headers.set('permissions-policy', 'camera=(), microphone=(), geolocation=()')
    if (options.production)
      headers.set('strict-transport-security', 'max-age=63072000; includeSubDomains')
    const isAsset =
      c.req.path.startsWith('/assets/') && c.res.status === 200 && !headers.has('set-cookie')
    headers.set('cache-control', isAsset ? 'no-cache' : 'no-store')
  }
}
