import { createFileRoute, redirect, useRouter } from '@tanstack/react-router'
import { useServerFn } from '@tanstack/react-start'
import { listDevices, revokeDevice, signOut } from '../lib/auth'

export const Route = createFileRoute('/account')({
  beforeLoad: ({ context, location }) => {
    if (!context.viewer) throw redirect({ to: '/login', search: { next: location.href } })
    return { viewer: context.viewer }
  },
  loader: () => listDevices(),
  component: AccountPage,
})

function AccountPage() {
  const { viewer } = Route.useRouteContext()
  const devices = Route.useLoaderData()
  const router = useRouter()
  const revoke = useServerFn(revokeDevice)
  const signOutFn = useServerFn(signOut)
  return (
    <main>
      <h1>Account</h1>
      <p data-testid="who">
        {viewer.name} ({viewer.email}),{' '}
        {viewer.persistent ? 'kept signed in' : 'signed in until the browser closes'}
      </p>
      <h2>Your devices</h2>
      <ul>
        {devices.map((device) => (
          <li key={device.id} data-testid="device">
            {device.device}, last seen {new Date(device.lastSeenAt).toISOString()}
            {device.current ? (
              ' (this device)'
            ) : (
              <button
                type="button"
                onClick={async () => {
                  await revoke({ data: device.id })
                  await router.invalidate()
                }}
              >
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => signOutFn()}>
        Sign out
      </button>
    </main>
  )
}
