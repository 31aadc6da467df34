// A tiny user directory for the example: two accounts with scrypt-hashed passwords.
import { scryptSync, timingSafeEqual } from 'node:crypto'

export interface User {
  id: string
  email: string
  name: string
  roles: string[]
}

const SALT = 'hallpass-example'
const hash = (password: string): Buffer => scryptSync(password, SALT, 32)

const accounts = [
  { user: { id: 'u1', email: 'ada@example.com', name: 'Ada', roles: ['admin'] }, hash: hash('correct horse') },
  { user: { id: 'u2', email: 'bob@example.com', name: 'Bob', roles: [] }, hash: hash('battery staple') },
]

/** The user for these credentials, or undefined. */
export function verify(email: string, password: string): User | undefined {
  const account = accounts.find((a) => a.user.email === email)
  const ok = timingSafeEqual(hash(password), account?.hash ?? hash('\0'))
  return ok && account ? account.user : undefined
}

export function findUser(id: string | null): User | undefined {
  return accounts.find((a) => a.user.id === id)?.user
}
