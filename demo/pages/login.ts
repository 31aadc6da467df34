// The sign-in page: email, password, remember-me, and (outside production) the demo accounts.
import { html } from 'hono/html'
import { csrfField, layout, type Html } from './layout.ts'

export interface LoginPage {
  readonly csrf: string
  readonly notice?: string | undefined
  readonly error?: string | undefined
  readonly email?: string | undefined
  /** Shown outside production so a first run needs no reading. */
  readonly demoAccounts?:
    ReadonlyArray<{ email: string; password: string; role: string }> | undefined
  readonly rememberDays: number
  readonly absoluteHours: number
}

export function loginPage(page: LoginPage): Html {
  return layout(
    { title: 'Sign in', page: 'login', csrf: page.csrf, notice: page.notice, error: page.error },
    html`<section class="card narrow">
  <h1>Sign in</h1>
  <form method="post" action="/login" class="stack" data-login>
    ${csrfField(page.csrf)}
    <label>Email <input type="email" name="email" autocomplete="username" required maxlength="254" value="${page.email ?? ''}" autofocus></label>
    <label>Password <input type="password" name="password" autocomplete="current-password" required maxlength="1024"></label>
    <label class="check"><input type="checkbox" name="rememberMe" value="on"> Remember me for ${page.rememberDays} days</label>
    <p class="hint">Without it, you stay signed in for at most ${page.absoluteHours} hours, and only while this browser is open.</p>
    <button type="submit" class="button primary">Sign in</button>
  </form>
</section>
${
  page.demoAccounts &&
  html`<section class="card narrow muted">
  <h2>Demo accounts</h2>
  <table class="plain">
    ${page.demoAccounts.map((a) => html`<tr><td><code>${a.email}</code></td><td><code>${a.password}</code></td><td>${a.role}</td></tr>`)}
  </table>
</section>`
}`,
  )
}
