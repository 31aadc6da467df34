// A tiny user directory for the example: two accounts with scrypt-hashed passwords, checked in constant work.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto'

export interface User {
  id: string
  email: string
  name: string
  roles: string[]
}

const SALT = 'hallpass-example'
const hash = (password: string): Buffer => scryptSync(password, SALT, 32)

const accounts = [
  {
    user: { id: 'u1', email: 'ada@example.com', name: 'Ada', roles: ['admin'] },
    hash: hash('correct horse'),
  },
  {
    user: { id: 'u2', email: 'bob@example.com', name: 'Bob', roles: [] },
    hash: hash('battery staple'),
  },
]

/** Compared with when the email is unknown, so every sign-in costs exactly one hash (computed once, up front). */
const DUMMY_HASH = hash(randomBytes(16).toString('hex'))

/** The user for these credentials, or undefined. An unknown email and a wrong password take the same work. */
export function verify(email: string, password: string): User | undefined {
  const account = accounts.find((a) => a.user.email === email)
  const ok = timingSafeEqual(hash(password), account?.hash ?? DUMMY_HASH)
  return ok && account ? account.user : undefined
}

/** The work of one check (a hash, against the dummy), for a locked account: it takes as long as a wrong password. */
export function verifyNothing(password: string): undefined {
  timingSafeEqual(hash(password), DUMMY_HASH)
  return undefined
}

export function findUser(id: string | null): User | undefined {
  return accounts.find((a) => a.user.id === id)?.user
}
