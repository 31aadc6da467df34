// `hallpass migrate --postgres URL` and `hallpass sessions ... --postgres URL`: the Postgres store from the shell.
import { sessionsCommand } from './sessions.ts'
import { UsageError } from './stores.ts'

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
  return {
    ...(flags.schema !== undefined && { schema: flags.schema }),
    ...(flags.table !== undefined && { table: flags.table }),
  }
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
  const pool = await connect(flags.postgres as string)
  const store = postgresStore({
    client: pool,
    purgeIntervalMs: 0,
    statementTimeoutMs: 30_000,
    ...names(flags),
  })
  try {
    for (const line of await sessionsCommand(action, args, store)) out(line)
    return 0
  } finally {
    await store.close()
    await pool.end()
  }
}
