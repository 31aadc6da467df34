// The admin area: the idle timeout setting (5 to 1440 minutes) and the users table with roles and session revocation.
import { html } from 'hono/html'
import type { AdminUser } from '../actions.ts'
import { ROLES, type User } from '../db.ts'
import { csrfField, layout, type Html } from './layout.ts'

export interface AdminPage {
  readonly csrf: string
  readonly user: User
  readonly idleMinutes: number
  readonly users: readonly AdminUser[]
  readonly notice?: string | undefined
  readonly error?: string | undefined
}

function userRow(target: AdminUser, page: AdminPage): Html {
  const self = target.id === page.user.id
  return html`<tr data-user="${target.email}">
  <td><strong>${target.name}</strong>${self && html` <span class="tag ok">You</span>`}<div class="hint">${target.email}</div></td>
  <td>
    <form method="post" action="/admin/users/${target.id}/role" class="row">
      ${csrfField(page.csrf)}
      <select name="role" aria-label="Role of ${target.email}">
        ${ROLES.map((role) => (role === target.role ? html`<option value="${role}" selected>${role}</option>` : html`<option value="${role}">${role}</option>`))}
      </select>
      <button type="submit" class="button small">Save role</button>
    </form>
  </td>
  <td class="num">${target.sessionCount}</td>
  <td class="actions">
    <form method="post" action="/admin/users/${target.id}/revoke-sessions">
      ${csrfField(page.csrf)}
      <button type="submit" class="button small danger" ${target.sessionCount <= (self ? 1 : 0) ? 'disabled' : ''}>${self ? 'Revoke my other sessions' : 'Revoke sessions'}</button>
    </form>
  </td>
</tr>`
}

export function adminPage(page: AdminPage): Html {
  return layout(
    {
      title: 'Admin',
      page: 'admin',
      csrf: page.csrf,
      user: page.user,
      notice: page.notice,
      error: page.error,
    },
    html`<h1>Admin</h1>
<section class="card">
  <h2>Session policy</h2>
  <form method="post" action="/admin/settings" class="row">
    ${csrfField(page.csrf)}
    <label for="idle-timeout">Idle timeout</label>
    <input id="idle-timeout" type="number" name="idleTimeoutMinutes" min="5" max="1440" step="1" required value="${page.idleMinutes}" class="short">
    <span>minutes</span>
    <button type="submit" class="button primary">Save</button>
  </form>
  <p class="hint spaced">5 to 1440 minutes. A session unused for this long ends. A change applies to every standard session from its next request on; remember-me sessions are not affected.</p>
</section>
<section class="card">
  <h2>Users</h2>
  <div class="table-wrap">
  <table class="list">
    <thead><tr><th>User</th><th>Role</th><th class="num">Sessions</th><th></th></tr></thead>
    <tbody>${page.users.map((u) => userRow(u, page))}</tbody>
  </table>
  </div>
  <p class="hint spaced">A role change applies on that user's next request, which also gets a new session id.</p>
</section>`,
  )
}
