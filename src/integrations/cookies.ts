// What framework integrations share: a commit's Set-Cookie values as (name, value, options) for cookie-jar APIs.
import { parseSetCookie } from 'cookie'
import type { SessionHeaders } from '../pipeline/pipeline.ts'

/** Options a framework cookie jar accepts (Next.js `cookies()`, SvelteKit and Astro `cookies`). */
export interface JarCookieOptions {
  httpOnly: boolean
  secure: boolean
  sameSite: 'lax' | 'strict' | 'none'
  path: string
  domain?: string
  maxAge?: number
  partitioned?: boolean
}

/** One cookie to write through a framework's cookie jar. */
export interface JarCookie {
  readonly name: string
  readonly value: string
  readonly options: JarCookieOptions
}

/** Turns Set-Cookie values (as `commit()` returns them) into cookies for a framework's `cookies.set(name, value, options)`. */
export function jarCookies(setCookies: readonly string[]): JarCookie[] {
  return setCookies.map((header) => {
    const parsed = parseSetCookie(header)
    const sameSite =
      parsed.sameSite === true
        ? 'strict'
        : parsed.sameSite === false || parsed.sameSite === undefined
          ? 'lax'
          : parsed.sameSite
    return {
      name: parsed.name,
      value: parsed.value ?? '',
      options: {
        httpOnly: parsed.httpOnly === true,
        secure: parsed.secure === true,
        sameSite,
        path: parsed.path ?? '/',
        ...(parsed.domain !== undefined && { domain: parsed.domain }),
        ...(parsed.maxAge !== undefined && { maxAge: parsed.maxAge }),
        ...(parsed.partitioned === true && { partitioned: true }),
      },
    }
  })
}

/** A commit's cookies (session, cache, CSRF pre-session, DBSC) for a cookie jar. */
export function toJar(headers: SessionHeaders): JarCookie[] {
  return jarCookies(headers.cookies)
}
