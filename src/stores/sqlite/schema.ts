// The SQLite store's table, indexes and prepared statements, created once per store.
import { configError } from '../../errors.ts'
import type { Row, RowValues } from './codec.ts'
import type { SqlValue } from './databases.ts'
import type { SqlRunner, Statement } from './driver.ts'

/** The columns of a hallpass sessions table. */
export const COLUMNS = [
  'id',
  'user_id',
  'data',
  'created_at',
  'last_seen_at',
  'expires_at',
  'persistent',
  'version',
  'roles',
  'permissions',
  'ip',
  'user_agent',
  'drop_at',
  'device',
] as const

/** Every statement the store runs, prepared once. */
export interface Statements {
  readonly select: Statement<[id: string], Row>
  readonly insert: Statement<RowValues>
  /** Rewrites a patched row; lastSeenAt and dropAt only ever move forward. */
  readonly update: Statement<
    [
      data: string,
      version: number,
      device: string | null,
      lastSeenAt: number,
      dropAt: number,
      id: string,
    ]
  >
  readonly remove: Statement<[id: string], { drop_at: unknown }>
  readonly listByUser: Statement<[userId: string, now: number], Row>
  /** The user's other live sessions, least recently used first (last seen, then created): the per-user cap's victims. */
  readonly othersByUse: Statement<[userId: string, now: number, keep: string], { id: string }>
  readonly revokeOne: Statement<[id: string, userId: string], { drop_at: unknown }>
  readonly revokeAll: Statement<
    [userId: string, except: string | null],
    { id: unknown; drop_at: unknown }
  >
  readonly purge: Statement<[now: number]>
  readonly stats: Statement<
    [expiringBefore: number, now: number],
    { sessions: number; users: number; anonymous: number | null; expiring: number | null }
  >
  readonly maxPerUser: Statement<[now: number], { n: number | null }>
}

/** The table `sqliteStore()` uses unless given `table`. */
export const DEFAULT_TABLE = 'hallpass_sessions'

/** A table name hallpass accepts: it is spliced into SQL, so nothing that needs escaping. */
const PLAIN_NAME = /^(?!sqlite_)[A-Za-z_][A-Za-z0-9_]{0,62}$/i

/** Plain identifiers only: the name is spliced into SQL, so nothing that needs escaping is accepted. */
export function checkTableName(table: unknown): string {
  if (typeof table !== 'string' || !PLAIN_NAME.test(table)) {
    configError(
      `sqliteStore table must be a plain SQL identifier (letters, digits, _; not starting with sqlite_), got ${JSON.stringify(table)}`,
    )
  }
  return table
}

/**
 * Creates the table and its indexes if missing and prepares the statements. Not STRICT on purpose: the
 * store validates every row it reads, so a row edited by hand is reported as corrupt rather than trusted.
 */
export function prepareSchema(db: SqlRunner, table: string): Statements {
  const t = `"${table}"`
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${t} (
      id TEXT PRIMARY KEY NOT NULL,
      user_id TEXT,
      data TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      persistent INTEGER NOT NULL,
      version INTEGER NOT NULL,
      roles TEXT,
      permissions TEXT,
      ip TEXT,
      user_agent TEXT,
      drop_at INTEGER NOT NULL,
      device TEXT
    )
  `)
  const missing = missingColumns(db, table)
  if (missing.length > 0)
    configError(
      `table ${t} exists but is not a hallpass sessions table (missing ${missing.join(', ')}); choose another table name`,
    )
  // The per-user index serves listByUser, revoke and the per-user cap; the other serves the purge.
  db.exec(`
    CREATE INDEX IF NOT EXISTS "${table}_user_idx" ON ${t} (user_id, drop_at);
    CREATE INDEX IF NOT EXISTS "${table}_drop_idx" ON ${t} (drop_at);
  `)
  return prepareStatements(db, table)
}

/** The hallpass columns `table` (a checked plain name) lacks: all of them when there is no such table. Only reads. */
export function missingColumns(db: SqlRunner, table: string): string[] {
  const columns = db.prepare<[string], { name: unknown }>('SELECT name FROM pragma_table_info(?)')
  const present = new Set(columns.all(table).map((column) => column.name))
  return COLUMNS.filter((column) => !present.has(column))
}

/** The tables of `db` that have every hallpass column (to name them when the one asked for is not there). */
export function sessionTables(db: SqlRunner): string[] {
  const tables = db.prepare<[], { name: unknown }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
  )
  return tables
    .all()
    .map((row) => row.name)
    .filter(
      (name): name is string =>
        typeof name === 'string' && PLAIN_NAME.test(name) && missingColumns(db, name).length === 0,
    )
}

/**
 * Prepares the statements over a table that already has every column; creates and alters nothing (the CLI
 * uses it on an app's database). `readonly`: a corrupt row is skipped, not deleted (`remove` only reads).
 */
export function prepareStatements(
  db: SqlRunner,
  table: string,
  { readonly = false } = {},
): Statements {
  const t = `"${table}"`
  const cols = COLUMNS.join(', ')
  const prepare = <P extends SqlValue[], R = unknown>(sql: string): Statement<P, R> =>
    db.prepare<P, R>(sql)
  const remove = readonly
    ? `SELECT drop_at FROM ${t} WHERE id = ?`
    : `DELETE FROM ${t} WHERE id = ? RETURNING drop_at`
  return {
    select: prepare(`SELECT ${cols} FROM ${t} WHERE id = ?`),
    insert: prepare(
      `INSERT OR REPLACE INTO ${t} (${cols}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
    ),
    // Never earlier than what is stored: a request that loaded before another one's touch must not undo it.
    update: prepare(`UPDATE ${t} SET data = ?, version = ?, device = ?,
      last_seen_at = max(last_seen_at, ?), drop_at = max(drop_at, ?) WHERE id = ?`),
    remove: prepare(remove),
    listByUser: prepare(
      `SELECT ${cols} FROM ${t} WHERE user_id = ? AND drop_at > ? ORDER BY created_at, id`,
    ),
    othersByUse: prepare(
      `SELECT id FROM ${t} WHERE user_id = ? AND drop_at > ? AND id <> ? ORDER BY last_seen_at, created_at`,
    ),
    revokeOne: prepare(`DELETE FROM ${t} WHERE id = ? AND user_id = ? RETURNING drop_at`),
    revokeAll: prepare(`DELETE FROM ${t} WHERE user_id = ? AND id IS NOT ? RETURNING id, drop_at`),
    purge: prepare(`DELETE FROM ${t} WHERE drop_at <= ?`),
    stats: prepare(
      `SELECT count(*) AS sessions, count(DISTINCT user_id) AS users, sum(user_id IS NULL) AS anonymous, sum(drop_at <= ?) AS expiring FROM ${t} WHERE drop_at > ?`,
    ),
    maxPerUser: prepare(
      `SELECT max(n) AS n FROM (SELECT count(*) AS n FROM ${t} WHERE user_id IS NOT NULL AND drop_at > ? GROUP BY user_id)`,
    ),
  }
}
