// The demo's SQLite database: users and settings tables beside the sessions, seeded once when the file is new.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'

export type Role = 'admin' | 'user'
export const ROLES: readonly Role[] = ['admin', 'user']

/** A user as the app shows it: never the password hash. */
export interface User {
  readonly id: string
  readonly email: string
  readonly name: string
  readonly role: Role
}

interface UserRow extends User {
  readonly passwordHash: string
}

export interface SeedUser {
  readonly email: string
  readonly name: string
  readonly role: Role
  readonly passwordHash: string
}

const SCHEMA_VERSION = 1

/** Opens (creating the folder if needed) the SQLite file, or `:memory:`. WAL is set by the session store. */
export function openDatabase(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { timeout: 2000 })
  db.pragma('foreign_keys = ON')
  return db
}

/**
 * Creates the tables on a new database and seeds it with `seed()` (called only then, so seeding may be
 * slow, as password hashing is). Returns true when the database was new.
 */
export async function migrate(
  db: Database.Database,
  seed: () => Promise<readonly SeedUser[]>,
): Promise<boolean> {
  if ((db.pragma('user_version', { simple: true }) as number) >= SCHEMA_VERSION) return false
  const users = await seed()
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY NOT NULL,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
    `)
    const insert = db.prepare(
      'INSERT OR IGNORE INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    const now = Date.now()
    for (const user of users)
      insert.run(randomUUID(), user.email, user.name, user.role, user.passwordHash, now, now)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  })()
  return true
}

/** Users: lookups by id and email, profile and role changes, password hashes. */
export class Users {
  private readonly byId
  private readonly byEmail
  private readonly all
  private readonly rename
  private readonly changeRole
  private readonly changePassword
  private readonly adminCount
  private readonly insert

  constructor(private readonly db: Database.Database) {
    const columns = 'id, email, name, role, password_hash AS passwordHash'
    this.byId = db.prepare<[string], UserRow>(`SELECT ${columns} FROM users WHERE id = ?`)
    this.byEmail = db.prepare<[string], UserRow>(`SELECT ${columns} FROM users WHERE email = ?`)
    this.all = db.prepare<[], UserRow>(`SELECT ${columns} FROM users ORDER BY role, email`)
    this.rename = db.prepare<[string, number, string]>(
      'UPDATE users SET name = ?, updated_at = ? WHERE id = ?',
    )
    this.changeRole = db.prepare<[string, number, string]>(
      'UPDATE users SET role = ?, updated_at = ? WHERE id = ?',
    )
    this.changePassword = db.prepare<[string, number, string]>(
      'UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?',
    )
    this.adminCount = db.prepare<[], { n: number }>(
      "SELECT count(*) AS n FROM users WHERE role = 'admin'",
    )
    this.insert = db.prepare<[string, string, string, string, string, number, number]>(
      'INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
  }

  /** Adds a user (the demo has no sign-up page; tests and scripts use this). */
  create(user: SeedUser): User {
    const id = randomUUID()
    const now = Date.now()
    this.insert.run(id, user.email, user.name, user.role, user.passwordHash, now, now)
    return this.find(id) as User
  }

  find(id: string): User | undefined {
    const row = this.byId.get(id)
    return row && publicUser(row)
  }

  /** The user and its password hash, for sign-in. */
  findForLogin(email: string): UserRow | undefined {
    return this.byEmail.get(email.trim())
  }

  passwordHash(id: string): string | undefined {
    return this.byId.get(id)?.passwordHash
  }

  list(): User[] {
    return this.all.all().map(publicUser)
  }

  setName(id: string, name: string): User | undefined {
    this.rename.run(name, Date.now(), id)
    return this.find(id)
  }

  /** Changes the role, refusing to remove the last admin. */
  setRole(id: string, role: Role): User | 'last_admin' | undefined {
    return this.db
      .transaction(() => {
        const user = this.find(id)
        if (!user) return undefined
        if (user.role === 'admin' && role !== 'admin' && (this.adminCount.get()?.n ?? 0) <= 1)
          return 'last_admin' as const
        this.changeRole.run(role, Date.now(), id)
        return this.find(id)
      })
      .immediate()
  }

  setPasswordHash(id: string, hash: string): void {
    this.changePassword.run(hash, Date.now(), id)
  }
}

function publicUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: ROLES.includes(row.role) ? row.role : 'user',
  }
}

/** App settings in a key/value table. Read on every request, so a change applies at once everywhere. */
export class Settings {
  private readonly read
  private readonly write

  constructor(db: Database.Database) {
    this.read = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?')
    this.write = db.prepare<[string, string]>(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    )
  }

  /** The admin's idle timeout in minutes, or undefined when none was saved. */
  idleTimeoutMinutes(): number | undefined {
    const value = Number(this.read.get('idle_timeout_minutes')?.value)
    return Number.isInteger(value) && value >= 5 && value <= 1440 ? value : undefined
  }

  setIdleTimeoutMinutes(minutes: number): void {
    this.write.run('idle_timeout_minutes', String(minutes))
  }
}
