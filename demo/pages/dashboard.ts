// The dashboard: who is signed in, this session's deadlines (live with JavaScript), profile and password forms.
import { html } from 'hono/html'
import type { User } from '../db.ts'
import { csrfField, layout, when, type Html } from './layout.ts'

export interface DashboardPage {
  readonly csrf: string
  readonly user: User
  readonly session: {
    readonly id: string
    readonly createdAt: number | null
    readonly expiresAt: number | null
    readonly idleExpiresAt: number | null
    readonly persistent: boolean
  }
  readonly idleMinutes: number
  readonly notice?: string | undefined
  readonly error?: string | undefined
}

export function dashboardPage(page: DashboardPage): Html {
  const { user, session } = page
  return layout(
    {
      title: 'Dashboard',
      page: 'dashboard',
      csrf: page.csrf,
      user,
      notice: page.notice,
      error: page.error,
    },
    html`<h1>Hello, ${user.name}</h1>
<div class="grid">
  <section class="card">
    <h2>This session</h2>
    <dl class="facts">
      <dt>Signed in as</dt><dd>${user.email} <span class="tag">${user.role}</span></dd>
      <dt>Session id</dt><dd><code title="${session.id}">${session.id.slice(0, 12)}…</code> <span class="hint">(a hash of the token, safe to show)</span></dd>
      <dt>Started</dt><dd>${when(session.createdAt)}</dd>
      <dt>Ends at the latest</dt><dd>${when(session.expiresAt)}</dd>
      <dt>Ends if idle until</dt><dd>${when(session.idleExpiresAt)} <span class="countdown" data-live="idle-countdown"></span></dd>
      <dt>Remember me</dt><dd>${session.persistent ? 'Yes: the cookie survives a browser restart' : 'No: the cookie ends with the browser'}</dd>
      <dt>Idle timeout</dt><dd>${session.persistent ? 'Not applied to remember-me sessions' : `${page.idleMinutes} minutes (an admin can change it)`}</dd>
    </dl>
    <p class="hint" data-live="checked">Open this page in a second tab, then log out in one: the other follows.</p>
  </section>
  <section class="card">
    <h2>Profile</h2>
    <form method="post" action="/account/name" class="stack">
      ${csrfField(page.csrf)}
      <label>Name <input name="name" required maxlength="100" value="${user.name}"></label>
      <button type="submit" class="button">Save name</button>
    </form>
    <h2>Change password</h2>
    <form method="post" action="/account/password" class="stack">
      ${csrfField(page.csrf)}
      <input type="email" name="email" value="${user.email}" autocomplete="username" hidden>
      <label>Current password <input type="password" name="currentPassword" autocomplete="current-password" required maxlength="1024"></label>
      <label>New password <input type="password" name="newPassword" autocomplete="new-password" required minlength="12" maxlength="128"></label>
      <p class="hint">Changing it signs out every other device and gives this one a new session id.</p>
      <button type="submit" class="button">Change password</button>
    </form>
  </section>
</div>`,
  )
}
