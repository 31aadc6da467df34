import { signIn } from './actions'

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ next?: string; error?: string }>
}) {
  const { next = '/account', error } = await searchParams
  return (
    <main>
      <h1>Sign in</h1>
      {error && (
        <p role="alert" data-testid="login-error">
          Wrong email or password.
        </p>
      )}
      <form action={signIn}>
        <input type="hidden" name="next" value={next} />
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
        <button type="submit">Sign in</button>
      </form>
    </main>
  )
}
