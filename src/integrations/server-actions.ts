// The CSRF check of Next.js server actions: no path an exemption could match, one log line per refusal reason.
import type { SessionData } from '../core/types.ts'
import type { CsrfRejectReason } from '../csrf/index.ts'
import { HallpassError } from '../errors.ts'
import { selfOrigin, type AdapterOptions, type RequestFacts } from '../pipeline/facts.ts'
import type { Pipeline } from '../pipeline/pipeline.ts'
import type { RequestScope } from '../pipeline/scope.ts'

/**
 * The path a server action is checked (and reported in `csrf.rejected`) under. Next gives an action no path of
 * its own (it posts to whatever page is open), so `csrf.exempt` must never match one: exempt paths start with
 * "/", and this does not.
 */
export const SERVER_ACTION_PATH = '(server action)'

/** The request headers of a server action (Next's `headers()`). */
export interface ActionHeaders {
  get(name: string): string | null
}

/** Writes one warning line; `console.warn` unless a test passes its own. */
export type Warn = (message: string) => void

/**
 * The CSRF check for `sessionAction`: resolves when the action may run, else throws `CSRF_REJECTED` (Next then
 * shows its generic error page) after writing why to the server log, once per reason per `nextSessions()`.
 */
export function serverActionCheck<D extends SessionData>(
  pipeline: Pipeline<D>,
  options: AdapterOptions,
  secure: boolean,
  warn: Warn = console.warn,
): (scope: RequestScope<SessionData>, head: ActionHeaders) => Promise<void> {
  const warned = new Set<CsrfRejectReason>()
  const csrf = pipeline.csrf
  return async (scope, head) => {
    if (!csrf) return
    const facts: RequestFacts = {
      method: 'POST',
      path: SERVER_ACTION_PATH,
      encrypted: secure,
      host: head.get('host'),
      header: (name) => head.get(name),
    }
    const verdict = await pipeline.csrfVerdict(csrf, scope, facts)
    if (verdict.ok) return
    if (!warned.has(verdict.reason)) {
      warned.add(verdict.reason)
      warn(
        `hallpass/next: a server action was refused (CSRF_REJECTED, reason ${verdict.reason}). ` +
          hint(verdict.reason, facts, options, secure),
      )
    }
    throw new HallpassError(
      'CSRF_REJECTED',
      'This server action failed the cross-site request forgery check.',
    )
  }
}

/** Why, in words, with the fix when the cause is the app's setup. Header values are quoted and cut short. */
function hint(
  reason: CsrfRejectReason,
  facts: RequestFacts,
  options: AdapterOptions,
  secure: boolean,
): string {
  const origin = facts.header('origin') ?? ''
  const self = selfOrigin(facts, options.trustProxy ?? false)
  switch (reason) {
    case 'origin_mismatch':
      if (secure && origin === self.replace(/^https:/, 'http:')) {
        return (
          `The page was served over plain http (Origin ${quote(origin)}), but the session cookie is Secure, ` +
          `so hallpass takes the app's origin to be ${quote(self)}. Serve the app over HTTPS ` +
          '(next dev --experimental-https), or set createSessions({ cookie: { secure: false } }) for plain-http ' +
          'development only, or behind a proxy that terminates TLS pass nextSessions(sessions, { trustProxy: true }) ' +
          'so X-Forwarded-Proto is used.'
        )
      }
      return (
        `Its Origin ${quote(origin)} is not the app's origin ${quote(self)} (from the Host header and the cookie's ` +
        'Secure setting). Behind a proxy, forward Host and pass { trustProxy: true }; to accept another origin, ' +
        'list it in csrf.origins. A cross-site request is refused as it should be.'
      )
    case 'token_missing':
      return (
        'It carried neither Sec-Fetch-Site nor Origin (not a browser, or a very old one), or csrf.requireToken ' +
        'is on: a server action cannot carry a CSRF token, so requireToken refuses every action.'
      )
    case 'token_invalid':
      return 'Its x-csrf-token header did not verify for this session.'
    default:
      return (
        'The browser sent it from another site (Sec-Fetch-Site or Origin said so): a cross-site request, ' +
        'refused as it should be. For your own sibling subdomains use csrf.allowSameSite or csrf.origins; ' +
        'csrf.exempt never applies to server actions.'
      )
  }
}

function quote(value: string): string {
  return JSON.stringify(value.slice(0, 100))
}
