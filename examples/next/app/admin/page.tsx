import { redirect } from 'next/navigation'
import { requireRole } from 'hallpass/guards'
import { getSession } from '@/lib/session'

const adminsOnly = requireRole('admin')

export default async function AdminPage() {
  const session = await getSession()
  const outcome = await adminsOnly(session)
  if (outcome === 'unauthenticated') redirect('/login?next=/admin')
  if (outcome === 'forbidden') {
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
