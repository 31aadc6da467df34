// Which store the `sessions` commands work on: one store flag, the options that go with it, and opening it.
import type { Store } from '../stores/types.ts'

/** Where the sessions live: `--sqlite PATH [--table NAME]` or `--redis URL [--prefix PREFIX]`. */
export interface StoreFlags {
  readonly sqlite?: string | undefined
  readonly table?: string | undefined
  readonly redis?: string | undefined
  readonly prefix?: string | undefined
}

/** Reads open the store read-only; writes may change sessions, never the schema. */
export type Access = 'read' | 'write'

/** An open store and how to release it. */
export interface OpenedStore {
  readonly store: Store & { purge?: () => Promise<number> }
  close(): Promise<void>
}

/**
 * Each store flag and the options that name the app's store inside it (the same option the app gives the
 * store). A Postgres store would add `postgres: ['schema', 'table']`.
 */
const STORE_OPTIONS = {
  sqlite: ['table'],
  redis: ['prefix'],
} as const satisfies Record<string, ReadonlyArray<keyof StoreFlags>>

type Kind = keyof typeof STORE_OPTIONS

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {}

/** A store that is not where the flags say (exit code 1): never reported as an empty result. */
export class MissingStoreError extends Error {}

/** The one store the flags name; an option that belongs to another store is a usage error. */
function kindOf(flags: StoreFlags): Kind {
  const kinds = (Object.keys(STORE_OPTIONS) as Kind[]).filter((kind) => flags[kind] !== undefined)
  if (kinds.length !== 1)
    throw new UsageError(
      'name the store with exactly one of --sqlite PATH, --redis URL or --postgres URL',
    )
  const kind = kinds[0] as Kind
  for (const [other, options] of Object.entries(STORE_OPTIONS)) {
    for (const option of options) {
      if (
        flags[option] !== undefined &&
        !(STORE_OPTIONS[kind] as readonly string[]).includes(option)
      ) {
        throw new UsageError(`--${option} goes with --${other}, not --${kind}`)
      }
    }
  }
  return kind
}

/**
 * Opens the store the flags name, after checking it is there: a SQLite file must hold the table, a Redis
 * prefix some hallpass key. The drivers are loaded only when asked for (they are optional peers).
 */
export async function openStore(flags: StoreFlags, access: Access): Promise<OpenedStore> {
  const kind = kindOf(flags)
  if (kind === 'sqlite') {
    const { openSqlite } = await import('./sqlite.ts')
    return openSqlite(flags.sqlite as string, access, flags.table)
  }
  const { openRedis } = await import('./redis.ts')
  return openRedis(flags.redis as string, flags.prefix)
}
