import { createFileRoute, redirect } from '@tanstack/react-router'
import { adminArea } from '../lib/auth'

export const Route = createFileRoute('/admin')({
  beforeLoad: ({ context, location }) => {
    if (!context.viewer) throw redirect({ to: '/login', search: { next: location.href } })
  },
  loader: () => adminArea(),
  component: AdminPage,
})

function AdminPage() {
  const { allowed } = Route.useLoaderData()
  if (!allowed) {
    return (
      <main>
        <h1>Forbidden</h1>
        <p data-testid="denied">Only administrators can see this page.</p>
      </main>
    )
  }
  return (
    <main>
      <h1>Admin</h1>
      <p data-testid="admin">Welcome to the admin area.</p>
    </main>
  )
}
