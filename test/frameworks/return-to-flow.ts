// The open-redirect attack on an example's sign-in, in Chromium: /login?next=<a value that leaves the site>, then a
// real sign-in.
import type { Browser } from 'playwright-core'
import { expect } from 'vitest'

/**
 * `?next=` values as they appear in a link (percent-encoded in the query string). The first ones pass a
 * `startsWith('/') && !startsWith('//')` check once decoded, and Chromium leaves the site with them:
 * it reads `\` as `/` and drops tab, CR and LF.
 */
export const OFF_SITE_NEXT = [
  '/%5Cevil.example/phish',
  '/%09/evil.example/phish',
  '/%5C/evil.example/phish',
  '/%0D%0A/evil.example/phish',
  '//evil.example/phish',
  'https://evil.example/phish',
]

/** How an example's sign-in form is filled and sent. */
export interface SignInForm {
  readonly user: { readonly email: string; readonly password: string }
  /** The selector of the form's submit button. */
  readonly submit: string
  /** Run with JavaScript off too (the form works without it). @default false */
  readonly withoutJavaScript?: boolean
}

/**
 * Opens `/login?next=<raw>` in a fresh context, signs in, and checks where Chromium ends up: on the app's own
 * origin (the example's fallback, /account), with no request sent to another host (`.example` never resolves,
 * so a navigation there fails; the request is recorded either way).
 */
export async function signInStaysOnSite(
  browser: Browser,
  origin: string,
  raw: string,
  form: SignInForm,
) {
  for (const javaScriptEnabled of form.withoutJavaScript ? [true, false] : [true]) {
    const context = await browser.newContext({ javaScriptEnabled })
    const offSite: string[] = []
    context.on('request', (request) => {
      if (new URL(request.url()).origin !== origin) offSite.push(request.url())
    })
    try {
      const page = await context.newPage()
      await page.goto(`${origin}/login?next=${raw}`)
      await page.fill('input[name=email]', form.user.email)
      await page.fill('input[name=password]', form.user.password)
      const left = (url: URL): boolean =>
        url.origin !== origin || !url.pathname.startsWith('/login')
      const landed = page.waitForURL(left).catch((err: unknown) => err)
      await page.click(form.submit)
      const failure = await landed // a navigation elsewhere fails (ERR_NAME_NOT_RESOLVED): offSite says where it went
      const landedOn = { javaScriptEnabled, offSite, url: page.url() }
      expect(landedOn).toEqual({ javaScriptEnabled, offSite: [], url: `${origin}/account` })
      expect(failure).toBeUndefined()
    } finally {
      await context.close()
    }
  }
}
