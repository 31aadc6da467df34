import { useEffect, useState, type FormEvent } from 'react'
import { createFileRoute } from '@tanstack/react-router'
import { useServerFn } from '@tanstack/react-start'
import { signIn } from '../lib/auth'

export const Route = createFileRoute('/login')({
  validateSearch: (search: Record<string, unknown>): { next?: string } =>
    typeof search.next === 'string' ? { next: search.next } : {},
  component: LoginPage,
})

function LoginPage() {
  const { next } = Route.useSearch()
  const signInFn = useServerFn(signIn)
  const [error, setError] = useState<string>()
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const result = await signInFn({
      data: {
        email: String(form.get('email') ?? ''),
        password: String(form.get('password') ?? ''),
        remember: form.get('remember') === 'on',
        ...(next && { next }),
      },
    })
    if (result?.error) setError(result.error)
  }

  return (
    <main>
      <h1>Sign in</h1>
      {error && (
        <p role="alert" data-testid="login-error">
          {error}
        </p>
      )}
      <form method="post" onSubmit={onSubmit}>
        <label>
          Email <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Password{' '}
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <label>
          <input name="remember" type="checkbox" /> Keep me signed in
        </label>
        <button type="submit" disabled={!hydrated}>
          Sign in
        </button>
      </form>
    </main>
  )
}
