import type { ReactNode } from 'react'
import Link from 'next/link'
import { getSession } from '@/lib/session'
import { findUser } from '@/lib/users'

export const metadata = { title: 'hallpass + Next.js' }

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await getSession()
  const user = session.userId ? findUser(session.userId) : undefined
  return (
    <html lang="en">
      <body>
        <nav>
          <Link href="/">Home</Link> · <Link href="/account">Account</Link> ·{' '}
          <Link href="/admin">Admin</Link> ·{' '}
          <span data-testid="nav-user">
            {user ? `Signed in as ${user.name}` : <Link href="/login">Sign in</Link>}
          </span>
        </nav>
        {children}
      </body>
    </html>
  )
}
