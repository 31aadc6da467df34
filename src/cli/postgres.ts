// `hallpass migrate --postgres URL` and `hallpass sessions ... --postgres URL`: the Postgres store from the shell.
import type pg from 'pg'
import { HallpassError } from '../errors.ts'
import {
  checkIdentifier,
  DEFAULT_SCHEMA,
  DEFAULT_TABLE,
  VERSION_TABLE,
} from '../stores/postgres/schema.ts'
import { sessionsCommand } from './sessions.ts'
import { MissingStoreError, UsageError } from './stores.ts'

/** The Postgres flags: `--postgres URL`, and the table's `--schema` and `--table`. */
export interface PostgresFlags {
  readonly postgres?: string | undefined
  readonly schema?: string | undefined
  readonly table?: string | undefined
}

type Out = (line: string) => void

/** A pg Pool on `url` (pg is an optional peer, loaded only here), failing fast when the server does not answer. */
async function connect(url: string) {
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new UsageError('--postgres takes a postgres:// or postgresql:// URL')
  const pg = await import('pg')
  const pool = new pg.default.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 })
  pool.on('error', () => undefined) // a dropped connection fails the command's own query instead
  return pool
}

function names(flags: PostgresFlags): { schema?: string; table?: string } {
  for (const what of ['schema', 'table'] as const) {
    try {
      if (flags[what] !== undefined) checkIdentifier(what, flags[what])
    } catch (error) {
      if (error instanceof HallpassError) throw new UsageError(`--${what}: ${error.message}`)
      throw error
    }
  }
  return {
    ...(flags.schema !== undefined && { schema: flags.schema }),
    ...(flags.table !== undefined && { table: flags.table }),
  }
}

/**
 * The hallpass sessions tables on the database, as `schema.table`: those a migration recorded in a
 * `hallpass_schema` table of any schema the user can see. Only reads.
 */
async function sessionTables(pool: pg.Pool): Promise<string[]> {
  const schemas = await pool.query<{ schema: string }>(
    `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = $1 ORDER BY 1`,
    [VERSION_TABLE],
  )
  const found: string[] = []
  for (const { schema } of schemas.rows) {
    const quoted = `"${schema.replaceAll('"', '""')}"."${VERSION_TABLE}"`
    const tables = await pool.query<{ table_name: string }>(
      `SELECT table_name FROM ${quoted} ORDER BY table_name`,
    )
    for (const { table_name: table } of tables.rows) found.push(`${schema}.${table}`)
  }
  return found
}

/**
 * Throws MissingStoreError unless the named table is one of the database's hallpass tables, naming those it has:
 * during an incident `hallpass migrate` would only create an empty table beside the app's.
 */
async function requireTable(pool: pg.Pool, flags: PostgresFlags): Promise<void> {
  const wanted = `${flags.schema ?? DEFAULT_SCHEMA}.${flags.table ?? DEFAULT_TABLE}`
  const tables = await sessionTables(pool)
  if (tables.includes(wanted)) return
  const found =
    tables.length === 0
      ? "it has no hallpass session table: is --postgres the app's database?"
      : `it has ${tables.map((name) => `'${name}'`).join(', ')}`
  throw new MissingStoreError(
    `no hallpass session table '${wanted}' in the database (${found}); pass --schema SCHEMA --table TABLE, ` +
      'the names the app gives postgresStore({ schema, table })',
  )
}

/** `hallpass migrate --postgres URL [--schema S] [--table T]`: creates or upgrades the sessions table. */
export async function migrateCommand(
  args: readonly string[],
  flags: PostgresFlags,
  out: Out,
): Promise<number> {
  if (args.length > 0) throw new UsageError(`migrate takes no arguments (got "${args.join(' ')}")`)
  if (flags.postgres === undefined) throw new UsageError('migrate needs --postgres URL')
  const { migratePostgres } = await import('../stores/postgres/index.ts')
  const pool = await connect(flags.postgres)
  try {
    const { from, to } = await migratePostgres({ client: pool, ...names(flags) })
    const table = `${flags.schema ?? 'public'}.${flags.table ?? 'hallpass_sessions'}`
    out(
      from === to
        ? `${table} is already at schema version ${to}`
        : `migrated ${table} from schema version ${from} to ${to}`,
    )
    return 0
  } finally {
    await pool.end()
  }
}

/** `hallpass sessions <action> ... --postgres URL [--schema S] [--table T]`: the actions of the other stores. */
export async function postgresSessionsCommand(
  action: string | undefined,
  args: readonly string[],
  flags: PostgresFlags,
  out: Out,
): Promise<number> {
  const { postgresStore } = await import('../stores/postgres/index.ts')
  const tableNames = names(flags)
  const pool = await connect(flags.postgres as string)
  try {
    await requireTable(pool, flags)
  } catch (error) {
    await pool.end()
    if (error instanceof MissingStoreError || error instanceof HallpassError) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new HallpassError(
      'STORE_UNAVAILABLE',
      `the Postgres database did not answer (${reason})`,
      { cause: error },
    )
  }
  const store = postgresStore({
    client: pool,
    purgeIntervalMs: 0,
    statementTimeoutMs: 30_000,
    ...tableNames,
  })
  try {
    for (const line of await sessionsCommand(action, args, store)) out(line)
    return 0
  } finally {
    await store.close()
    await pool.end()
  }
}
