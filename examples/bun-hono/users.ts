// The example's one account (scrypt-hashed, compared in constant time) and its one page.
import { scryptSync, timingSafeEqual } from 'node:crypto'

const ACCOUNT = { user: 'ada', hash: scryptSync('correct horse', 'hallpass-example', 32) }

/** The user id for these credentials, or undefined. */
export function checkPassword(user: string, password: string): string | undefined {
  const hash = scryptSync(password, 'hallpass-example', 32)
  return timingSafeEqual(hash, ACCOUNT.hash) && user === ACCOUNT.user ? user : undefined
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

/** The home page: who is signed in (and a sign-out button), or the sign-in form. */
export function page(userId: string | null, visits: number, csrf: string): string {
  const token = `<input type="hidden" name="_csrf" value="${escape(csrf)}">`
  const body = userId
    ? `<p data-testid="who">Signed in as ${escape(userId)} (visit ${visits})</p>
       <form method="post" action="/logout">${token}<button>Sign out</button></form>`
    : `<p data-testid="who">Not signed in</p>
       <form method="post" action="/login">${token}
         <input name="user" placeholder="ada"> <input name="password" type="password">
         <button>Sign in</button></form>`
  return `<!doctype html><meta charset="utf-8"><title>hallpass</title>${body}`
}
