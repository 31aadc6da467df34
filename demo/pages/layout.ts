// The page shell shared by every server-rendered page: head, top bar with navigation and logout, notices, CSRF helpers.
import { html } from 'hono/html'
import type { User } from '../db.ts'

export type Html = ReturnType<typeof html>

/** Messages a redirect may ask a page to show (`?notice=` / `?error=`); only these fixed texts, never text from the URL. */
export const NOTICES = {
  'signed-out': 'You have been signed out.',
  'session-ended': 'Your session ended. Please sign in again.',
  'password-changed': 'Password changed. Every other device has been signed out.',
  'name-saved': 'Your name was saved.',
  'device-revoked': 'That device has been signed out.',
  'others-revoked': 'Every other device has been signed out.',
  'settings-saved':
    'The idle timeout was saved. It applies to every session from its next request.',
  'role-saved': "The role was changed. It applies from that user's next request.",
  'user-sessions-revoked': "That user's sessions were revoked.",
} as const

export const ERRORS = {
  invalid: 'Wrong email or password.',
  throttled: 'Too many attempts from your network. Please wait and try again.',
  unavailable: 'Sign-in is temporarily unavailable. Please try again shortly.',
  'wrong-password': 'Your current password is not correct.',
  'weak-password': 'The new password must be 12 to 128 characters long.',
  'bad-name': 'Your name must be 1 to 100 characters long.',
  'bad-timeout': 'The idle timeout must be a whole number of minutes from 5 to 1440.',
  'last-admin': 'The last admin cannot lose the admin role.',
  'not-found': 'That item no longer exists.',
} as const

export type NoticeKey = keyof typeof NOTICES
export type ErrorKey = keyof typeof ERRORS

/** The notice and error to show, looked up from the query string. */
export function messagesFrom(query: (name: string) => string | undefined): {
  notice?: string
  error?: string
} {
  const notice = query('notice')
  const error = query('error')
  return {
    ...(notice !== undefined &&
      Object.hasOwn(NOTICES, notice) && { notice: NOTICES[notice as NoticeKey] }),
    ...(error !== undefined &&
      Object.hasOwn(ERRORS, error) && { error: ERRORS[error as ErrorKey] }),
  }
}

export interface PageShell {
  readonly title: string
  /** Which page this is (the browser script reads it from `data-page`). */
  readonly page: 'login' | 'dashboard' | 'sessions' | 'admin' | 'error'
  readonly csrf: string
  readonly user?: User | undefined
  readonly notice?: string | undefined
  readonly error?: string | undefined
}

/** A hidden `_csrf` field for a form. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`
}

function navLink(href: string, label: string, current: boolean): Html {
  return current
    ? html`<a href="${href}" aria-current="page">${label}</a>`
    : html`<a href="${href}">${label}</a>`
}

/** The whole document around `content`. */
export function layout(shell: PageShell, content: Html): Html {
  const { user, page } = shell
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${shell.csrf}">
<title>${shell.title} · hallpass demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body data-page="${page}" data-signed-in="${user ? 'true' : 'false'}">
<header class="topbar">
  <a class="brand" href="/">hallpass <span>demo</span></a>
  ${
    user
      ? html`<nav aria-label="Main">
    ${navLink('/', 'Dashboard', page === 'dashboard')}
    ${navLink('/sessions', 'Devices', page === 'sessions')}
    ${user.role === 'admin' && navLink('/admin', 'Admin', page === 'admin')}
  </nav>
  <div class="who">
    <span class="pill" data-live="status" title="Session status">Signed in</span>
    <span class="who-name">${user.name}</span>
    <form method="post" action="/logout" data-logout>
      ${csrfField(shell.csrf)}
      <button type="submit" class="button ghost">Log out</button>
    </form>
  </div>`
      : ''
  }
</header>
<div class="banner" id="expiry-banner" role="alert" hidden>
  <span data-live="expiry-message">Your session is about to expire.</span>
  <button type="button" class="button small" data-action="stay">Stay signed in</button>
</div>
<main>
  ${shell.notice && html`<p class="flash ok" role="status">${shell.notice}</p>`}
  ${shell.error && html`<p class="flash bad" role="alert">${shell.error}</p>`}
  ${content}
</main>
<footer>hallpass reference app · sessions are server-side; the cookie is HttpOnly and never readable by JavaScript.</footer>
</body>
</html>`
}

/** A short page for 403 and 404. */
export function messagePage(shell: Omit<PageShell, 'page'>, heading: string, text: string): Html {
  return layout(
    { ...shell, page: 'error' },
    html`<section class="card narrow"><h1>${heading}</h1><p>${text}</p><p><a href="/">Back to the dashboard</a></p></section>`,
  )
}

/** Epoch ms as a readable UTC time, for pages rendered without JavaScript (the script shows local times). */
export function when(
  ms: number | string | null | undefined,
  style: 'long' | 'short' = 'long',
): Html {
  if (ms === null || ms === undefined) return html`—`
  const date = new Date(ms)
  const text =
    date
      .toISOString()
      .replace('T', ' ')
      .slice(style === 'long' ? 0 : 5, 16) + ' UTC'
  return html`<time datetime="${date.toISOString()}" data-local="${style}">${text}</time>`
}
