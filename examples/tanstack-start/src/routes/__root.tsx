/// <reference types="vite/client" />
import type { ReactNode } from 'react'
import { createRootRoute, HeadContent, Link, Outlet, Scripts } from '@tanstack/react-router'
import { getViewer } from '../lib/auth'

export const Route = createRootRoute({
  beforeLoad: async () => ({ viewer: await getViewer() }),
  head: () => ({ meta: [{ charSet: 'utf-8' }, { title: 'hallpass + TanStack Start' }] }),
  shellComponent: RootDocument,
  component: RootLayout,
})

function RootDocument({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <HeadContent />
      </head>
      <body>
        {children}
        <Scripts />
      </body>
    </html>
  )
}

function RootLayout() {
  const { viewer } = Route.useRouteContext()
  return (
    <>
      <nav>
        <Link to="/">Home</Link> · <Link to="/account">Account</Link> ·{' '}
        <Link to="/admin">Admin</Link> ·{' '}
        <span data-testid="nav-user">
          {viewer ? `Signed in as ${viewer.name}` : <Link to="/login">Sign in</Link>}
        </span>
      </nav>
      <Outlet />
    </>
  )
}
