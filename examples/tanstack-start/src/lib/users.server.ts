// The example's user directory: two fixed accounts. A real app looks users up in its database and hashes passwords.
import { createHash, timingSafeEqual } from 'node:crypto'

export interface User {
  id: string
  email: string
  name: string
  role: 'admin' | 'member'
}

const USERS: ReadonlyArray<User & { password: string }> = [
  {
    id: 'u-ada',
    email: 'ada@example.com',
    name: 'Ada',
    role: 'admin',
    password: 'correct horse battery staple',
  },
  {
    id: 'u-bob',
    email: 'bob@example.com',
    name: 'Bob',
    role: 'member',
    password: 'hunter2 hunter2',
  },
]

const digest = (text: string) => createHash('sha256').update(text).digest()

/** The user with this email and password, or undefined. */
export function verifyPassword(email: string, password: string): User | undefined {
  const found = USERS.find((user) => user.email === email.trim().toLowerCase())
  const ok = timingSafeEqual(digest(found?.password ?? ''), digest(password)) && found !== undefined
  return ok ? publicUser(found) : undefined
}

/** The user with this id, or undefined. */
export function findUser(id: string): User | undefined {
  const found = USERS.find((user) => user.id === id)
  return found && publicUser(found)
}

function publicUser({ password: _password, ...user }: User & { password: string }): User {
  return user
}
