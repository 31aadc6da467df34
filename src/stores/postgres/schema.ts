// The sessions table as versioned migrations: the SQL to apply, `migrate()` to apply it, and the check each store runs.
import { createHash } from '../../crypto/node-crypto.ts'
import { configError, HallpassError } from '../../errors.ts'
import { PostgresDriver, sqlState, type Run } from './driver.ts'
import { qualified, type TableName } from './sql.ts'
import type { PostgresClientLike } from './clients.ts'

/** The schema version this hallpass reads and writes. A store refuses a table at any other version. */
export const POSTGRES_SCHEMA_VERSION = 1

/** The table that records each sessions table's schema version (one row per table, in the same schema). */
export const VERSION_TABLE = 'hallpass_schema'
/** The login throttle's table, shared by the sessions tables of one schema (the throttle's keys carry its prefix). */
const THROTTLE_TABLE = 'hallpass_throttle'

export const DEFAULT_SCHEMA = 'public'
export const DEFAULT_TABLE = 'hallpass_sessions'

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/

/** A lowercase SQL identifier (letters, digits, _): quoted and unquoted names are the same. Else CONFIG_INVALID. */
export function checkIdentifier(what: 'schema' | 'table', value: unknown): string {
  if (
    typeof value !== 'string' ||
    !IDENTIFIER.test(value) ||
    value.startsWith('pg_') ||
    value === VERSION_TABLE ||
    value === THROTTLE_TABLE
  ) {
    configError(
      `postgres ${what} must be a lowercase SQL identifier (a-z, 0-9, _; at most 63; not starting with pg_, ` +
        `not ${VERSION_TABLE} or ${THROTTLE_TABLE}), got ${JSON.stringify(value)}`,
    )
  }
  return value
}

/** Each migration's statements: entry i takes a table from version i to i + 1. */
function migrations({ schema, table }: TableName): string[][] {
  const t = qualified(schema, table)
  return [
    [
      // Times are epoch ms. drop_at is when the store may forget the row (idle or absolute timeout); expired rows are
      // never read and purge() deletes them. version 0 is a rotation tombstone (src/stores/tombstone.ts). data_version
      // is the shape of data (createSessions({ dataVersion })), NULL for 1.
      `CREATE TABLE ${t} (
  id text COLLATE "C" PRIMARY KEY,
  user_id text COLLATE "C",
  data jsonb NOT NULL,
  created_at bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  drop_at bigint NOT NULL,
  persistent boolean NOT NULL,
  version bigint NOT NULL,
  roles jsonb,
  permissions jsonb,
  ip text,
  user_agent text,
  device jsonb,
  data_version integer
)`,
      // The user's sessions (list, revoke, the per-user cap) and the purge.
      `CREATE INDEX "${table}_user_idx" ON ${t} (user_id) WHERE user_id IS NOT NULL`,
      `CREATE INDEX "${table}_drop_idx" ON ${t} (drop_at)`,
      // The login throttle's counters (hallpass/throttle with { postgres }), in rate-limiter-flexible's layout.
      `CREATE TABLE IF NOT EXISTS ${qualified(schema, THROTTLE_TABLE)} (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
)`,
    ],
  ]
}

function versionTable(schema: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, VERSION_TABLE)} (
  table_name text PRIMARY KEY,
  version integer NOT NULL,
  migrated_at timestamptz NOT NULL DEFAULT now()
)`,
  ]
}

function recordVersion(schema: string): string {
  return `INSERT INTO ${qualified(schema, VERSION_TABLE)} (table_name, version) VALUES ($1::text, $2::text::integer)
ON CONFLICT (table_name) DO UPDATE SET version = excluded.version, migrated_at = now()`
}

/**
 * The SQL that creates the sessions table at the current version, for teams that apply migrations with their own
 * tool (Drizzle, Prisma, Flyway, sqitch...). It records the version the store checks at startup.
 *
 * @default schema 'public', table 'hallpass_sessions'
 * @example
 * ```ts
 * import { postgresSchemaSql } from 'hallpass/stores/postgres'
 * await writeFile('migrations/0007_hallpass.sql', postgresSchemaSql())
 * ```
 */
export function postgresSchemaSql(options: { schema?: string; table?: string } = {}): string {
  const names = {
    schema: checkIdentifier('schema', options.schema ?? DEFAULT_SCHEMA),
    table: checkIdentifier('table', options.table ?? DEFAULT_TABLE),
  }
  const steps = [
    ...(names.schema === DEFAULT_SCHEMA ? [] : [`CREATE SCHEMA IF NOT EXISTS "${names.schema}"`]),
    ...versionTable(names.schema),
    ...migrations(names).flat(),
    recordVersion(names.schema)
      .replace('$1::text', `'${names.table}'`)
      .replace('$2::text::integer', String(POSTGRES_SCHEMA_VERSION)),
  ]
  const body = steps.map((step) => `${step};`).join('\n')
  return `-- hallpass sessions table, schema version ${POSTGRES_SCHEMA_VERSION}\nBEGIN;\n${body}\nCOMMIT;\n`
}

/** The command that brings a table to this version, for error messages. */
export function migrateCommand({ schema, table }: TableName): string {
  const schemaFlag = schema === DEFAULT_SCHEMA ? '' : ` --schema ${schema}`
  const flags = `${schemaFlag}${table === DEFAULT_TABLE ? '' : ` --table ${table}`}`
  return `hallpass migrate --postgres <URL>${flags}`
}

/** A transaction-lock key for `purpose` within one table, the same in every process. */
export function lockKey(names: TableName, purpose: string): string {
  return createHash('sha256')
    .update(`hallpass:${names.schema}.${names.table}:${purpose}`)
    .digest()
    .readBigInt64BE(0)
    .toString()
}

/** The table's recorded version, or undefined when it has none (never migrated). */
async function recordedVersion(run: Run, names: TableName): Promise<number | undefined> {
  try {
    const rows = await run(
      `SELECT version::text FROM ${qualified(names.schema, VERSION_TABLE)} WHERE table_name = $1::text`,
      [names.table],
    )
    const value = rows[0]?.[0]
    return typeof value === 'string' ? Number(value) : undefined
  } catch (err) {
    const state = sqlState(err)
    if (state === '42P01' || state === '3F000') return undefined // no version table, or no schema: never migrated
    throw err
  }
}

/** The SQL that adds the data_version column to a table created before it existed. */
function addDataVersionSql({ schema, table }: TableName): string {
  return `ALTER TABLE ${qualified(schema, table)} ADD COLUMN data_version integer`
}

/**
 * Throws STORE_UNAVAILABLE, with the SQL that fixes it, when the table lacks the data_version column: a table created
 * at schema version 1 by a hallpass from before data versions. Nothing is read or written until the column is there,
 * and the same store works once it is (no restart), as after an outage.
 */
async function checkDataVersionColumn(run: Run, names: TableName): Promise<void> {
  const rows = await run(
    `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1::text) AND attname = 'data_version' AND NOT attisdropped`,
    [qualified(names.schema, names.table)],
  )
  if (rows.length > 0) return
  throw new HallpassError(
    'STORE_UNAVAILABLE',
    `the Postgres sessions table ${names.schema}.${names.table} has no data_version column ` +
      '(it was created by a hallpass from before session data versions): add it with ' +
      `\`${addDataVersionSql(names)}\`; the store works as soon as it is there`,
  )
}

/**
 * Throws CONFIG_INVALID, with the command that fixes it, unless the table is at POSTGRES_SCHEMA_VERSION, and
 * STORE_UNAVAILABLE, with the SQL that fixes it, when it lacks the data_version column. A database that does not
 * answer rejects with the client's error (the store reports STORE_UNAVAILABLE and checks again).
 */
export async function checkSchema(driver: PostgresDriver, names: TableName): Promise<void> {
  const run: Run = (sql, params) => driver.run(sql, params)
  const version = await recordedVersion(run, names)
  if (version === POSTGRES_SCHEMA_VERSION) return checkDataVersionColumn(run, names)
  const where = `${names.schema}.${names.table}`
  if (version === undefined)
    configError(
      `the Postgres sessions table ${where} does not exist yet: run \`${migrateCommand(names)}\` ` +
        '(or apply postgresSchemaSql() with your migration tool)',
    )
  if (version > POSTGRES_SCHEMA_VERSION)
    configError(
      `the Postgres sessions table ${where} is at schema version ${version}, ` +
        `newer than this hallpass (${POSTGRES_SCHEMA_VERSION}) reads: upgrade hallpass`,
    )
  configError(
    `the Postgres sessions table ${where} is at schema version ${version}; ` +
      `this hallpass needs ${POSTGRES_SCHEMA_VERSION}: run \`${migrateCommand(names)}\``,
  )
}

/** Options for `migratePostgres`. */
export interface MigrateOptions {
  /** A pg Pool or Client, a postgres.js `sql`, or a PGlite database. */
  client: PostgresClientLike
  /** @default 'public' */
  schema?: string
  /** @default 'hallpass_sessions' */
  table?: string
  /** Milliseconds the whole migration may take. @default 30_000 */
  timeoutMs?: number
}

/**
 * Creates or upgrades the sessions table to POSTGRES_SCHEMA_VERSION, in one transaction, under a lock so that
 * processes starting together migrate once. Returns the versions before and after (equal when nothing was to do).
 *
 * @throws CONFIG_INVALID when the table is newer than this hallpass; STORE_UNAVAILABLE when the database fails, or
 * when the table lacks the data_version column (the message gives the `ALTER TABLE` that adds it).
 * @example
 * ```ts
 * import pg from 'pg'
 * import { migratePostgres } from 'hallpass/stores/postgres'
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * await migratePostgres({ client: pool })           // or: npx hallpass migrate --postgres "$DATABASE_URL"
 * ```
 */
export async function migratePostgres(
  options: MigrateOptions,
): Promise<{ from: number; to: number }> {
  if (typeof options !== 'object' || options === null)
    configError('migratePostgres needs { client }')
  const names = {
    schema: checkIdentifier('schema', options.schema ?? DEFAULT_SCHEMA),
    table: checkIdentifier('table', options.table ?? DEFAULT_TABLE),
  }
  const driver = new PostgresDriver(options.client, options.timeoutMs ?? 30_000)
  try {
    return await driver.transaction(async (run) => {
      // The IF NOT EXISTS steps would each send a NOTICE ("already exists, skipping"), which postgres.js prints.
      await run('SET LOCAL client_min_messages = warning', [])
      await run(`SELECT 1 FROM (SELECT pg_advisory_xact_lock($1::text::bigint)) locked`, [
        lockKey(names, 'migrate'),
      ])
      const exists = await run('SELECT 1 FROM pg_namespace WHERE nspname = $1::text', [
        names.schema,
      ])
      if (exists.length === 0) await run(`CREATE SCHEMA "${names.schema}"`, [])
      for (const sql of versionTable(names.schema)) await run(sql, [])
      const from = (await recordedVersion(run, names)) ?? 0
      if (from > POSTGRES_SCHEMA_VERSION)
        configError(
          `${names.schema}.${names.table} is at schema version ${from}, ` +
            `newer than this hallpass (${POSTGRES_SCHEMA_VERSION}): upgrade hallpass`,
        )
      for (const step of migrations(names).slice(from)) for (const sql of step) await run(sql, [])
      if (from === POSTGRES_SCHEMA_VERSION) await checkDataVersionColumn(run, names)
      if (from !== POSTGRES_SCHEMA_VERSION)
        await run(recordVersion(names.schema), [names.table, String(POSTGRES_SCHEMA_VERSION)])
      return { from, to: POSTGRES_SCHEMA_VERSION }
    })
  } catch (err) {
    if (err instanceof HallpassError) throw err
    throw new HallpassError(
      'STORE_UNAVAILABLE',
      `migratePostgres failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    )
  } finally {
    driver.release()
  }
}
