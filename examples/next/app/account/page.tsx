import { redirect } from 'next/navigation'
import { getSession, sessions } from '@/lib/session'
import { findUser } from '@/lib/users'
import { revokeDevice, signOut } from './actions'

export default async function AccountPage() {
  const session = await getSession()
  const user = session.userId ? findUser(session.userId) : undefined
  if (!user) redirect('/login?next=/account')
  const devices = await sessions.listSessions(user.id)
  return (
    <main>
      <h1>Account</h1>
      <p data-testid="who">
        {user.name} ({user.email}),{' '}
        {session.persistent ? 'kept signed in' : 'signed in until the browser closes'}
      </p>
      <h2>Your devices</h2>
      <ul>
        {devices.map((device) => (
          <li key={device.id} data-testid="device">
            {device.device}, last seen {new Date(device.lastSeenAt).toISOString()}
            {device.id === session.id ? (
              ' (this device)'
            ) : (
              <form action={revokeDevice}>
                <input type="hidden" name="id" value={device.id} />
                <button type="submit">Revoke</button>
              </form>
            )}
          </li>
        ))}
      </ul>
      <form action={signOut}>
        <button type="submit">Sign out</button>
      </form>
    </main>
  )
}
