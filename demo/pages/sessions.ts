// The devices page: every live session of the user, each with a revoke button, and "log out everywhere else".
import { html } from 'hono/html'
import type { Device } from '../actions.ts'
import type { User } from '../db.ts'
import { csrfField, layout, when, type Html } from './layout.ts'

export interface SessionsPage {
  readonly csrf: string
  readonly user: User
  readonly devices: readonly Device[]
  readonly notice?: string | undefined
  readonly error?: string | undefined
}

function row(device: Device, csrf: string): Html {
  return html`<tr data-session-id="${device.id}">
  <td><strong>${device.device}</strong>${device.current && html` <span class="tag ok">This device</span>`}${device.persistent && html` <span class="tag">Remembered</span>`}${device.deviceBound && html` <span class="tag" title="Bound to a key this browser cannot export (DBSC)">Device-bound</span>`}
    <div class="hint ua" title="${device.userAgent ?? ''}">${device.ip ?? 'unknown IP'} · ${device.userAgent ?? 'no user agent'}</div></td>
  <td class="when">${when(device.createdAt, 'short')}</td>
  <td class="when">${when(device.lastSeenAt, 'short')}</td>
  <td class="when">${when(device.expiresAt, 'short')}</td>
  <td class="actions">
    <form method="post" action="/sessions/${device.id}/revoke">
      ${csrfField(csrf)}
      <button type="submit" class="button small ${device.current ? 'ghost' : 'danger'}">${device.current ? 'Log out' : 'Revoke'}</button>
    </form>
  </td>
</tr>`
}

export function sessionsPage(page: SessionsPage): Html {
  const others = page.devices.filter((d) => !d.current).length
  return layout(
    {
      title: 'Devices',
      page: 'sessions',
      csrf: page.csrf,
      user: page.user,
      notice: page.notice,
      error: page.error,
    },
    html`<h1>Your devices</h1>
<section class="card">
  <p>These browsers are signed in to your account. Revoke any you do not recognise: it is signed out on its next request.</p>
  <div class="table-wrap">
  <table class="list">
    <thead><tr><th>Device</th><th>Signed in</th><th>Last active</th><th>Expires</th><th></th></tr></thead>
    <tbody>${page.devices.map((d) => row(d, page.csrf))}</tbody>
  </table>
  </div>
  <form method="post" action="/sessions/revoke-others" class="inline-end">
    ${csrfField(page.csrf)}
    <button type="submit" class="button danger" ${others === 0 ? 'disabled' : ''}>Log out everywhere else (${others})</button>
  </form>
</section>`,
  )
}
