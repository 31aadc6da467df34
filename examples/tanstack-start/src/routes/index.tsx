import { createFileRoute } from '@tanstack/react-router'

export const Route = createFileRoute('/')({
  component: () => (
    <main>
      <h1>hallpass + TanStack Start</h1>
      <p>Sign in, look at your devices, try the admin page.</p>
    </main>
  ),
})
