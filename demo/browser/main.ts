// The pages' live parts, on hallpass/client: session status, expiry warning, cross-tab logout, local times.
import { createSessionClient, type SessionSnapshot } from 'hallpass/client'

interface StatusUser {
  readonly name: string
  readonly email: string
  readonly role: string
}

const page = document.body.dataset['page'] ?? ''
const signedInPage = document.body.dataset['signedIn'] === 'true'
const csrfToken = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? ''
const banner = document.getElementById('expiry-banner')

showLocalTimes()

const client = createSessionClient<StatusUser>({
  statusUrl: '/api/auth/session',
  expiringSeconds: 60,
  onExpiring(secondsLeft) {
    if (!banner) return
    const message = banner.querySelector('[data-live="expiry-message"]')
    if (message)
      message.textContent = `You will be signed out in ${secondsLeft} seconds because of inactivity.`
    banner.hidden = false
  },
})

client.subscribe(() => render(client.getSnapshot()))

function render(snapshot: SessionSnapshot<StatusUser>): void {
  if (snapshot.status === 'anonymous' && signedInPage) {
    // Logged out elsewhere (another tab, a revoke, the idle timeout): this page is stale.
    location.replace('/login?notice=session-ended')
    return
  }
  if (snapshot.status === 'authenticated' && page === 'login') {
    location.replace('/') // signed in from another tab
    return
  }
  const pill = document.querySelector('[data-live="status"]')
  if (pill) {
    pill.textContent = snapshot.status === 'error' ? 'Offline?' : 'Signed in'
    pill.classList.toggle('warn', snapshot.status === 'error')
  }
  if (banner && snapshot.session && snapshot.session.idleExpiresAt - Date.now() > 60_000)
    banner.hidden = true
  tick()
}

/** Updates the idle countdown once a second from the last snapshot (no request: the deadline is known). */
function tick(): void {
  const target = document.querySelector('[data-live="idle-countdown"]')
  const session = client.getSnapshot().session
  if (!target || !session) return
  const left = Math.max(
    0,
    Math.round((Math.min(session.idleExpiresAt, session.expiresAt) - Date.now()) / 1000),
  )
  const minutes = Math.floor(left / 60)
  target.textContent = `(in ${minutes}:${String(left % 60).padStart(2, '0')})`
}
setInterval(tick, 1000)

banner?.querySelector('[data-action="stay"]')?.addEventListener('click', () => {
  banner.hidden = true
  void client.refresh() // any request counts as activity: the server slides the idle deadline
})

// Logout through the client, so every other tab hears of it at once (BroadcastChannel).
for (const form of document.querySelectorAll<HTMLFormElement>('form[data-logout]')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    client
      .logout('/api/auth/logout', { headers: { 'x-csrf-token': csrfToken } })
      .then((response) => {
        if (response.ok) location.replace('/login?notice=signed-out')
        else form.submit() // let the server-rendered path handle it
      })
      .catch(() => form.submit())
  })
}

/** Rewrites UTC times rendered by the server into the browser's local time. */
function showLocalTimes(): void {
  const long = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
  const short = new Intl.DateTimeFormat(undefined, {
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  })
  for (const el of document.querySelectorAll<HTMLTimeElement>('time[data-local]')) {
    const date = new Date(el.dateTime)
    if (!Number.isNaN(date.getTime()))
      el.textContent = (el.dataset['local'] === 'short' ? short : long).format(date)
  }
}
