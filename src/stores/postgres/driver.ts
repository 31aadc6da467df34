// One way to run SQL on any of the clients: a statement, or a transaction on one connection, each with a deadline.
import { createHash } from '../../crypto/node-crypto.ts'
import { configError, HallpassError } from '../../errors.ts'
import { listenForErrors, stopListeningForErrors } from '../error-listener.ts'
import {
  clientKind,
  type ClientKind,
  type PgClientLike,
  type PGliteLike,
  type PGliteQueryLike,
  type PgPoolClientLike,
  type PgPoolLike,
  type PgQueryConfig,
  type PostgresClientLike,
  type PostgresJsLike,
  type PostgresJsQueryLike,
} from './clients.ts'

/** Statement parameters: text or NULL only, cast in the SQL (`$1::text::bigint`), so every client sends them alike. */
export type Params = ReadonlyArray<string | null>
/** A result row: the selected values in order (the store selects text only). */
export type Row = readonly unknown[]

/** Runs one statement inside a transaction. */
export type Run = (sql: string, params: Params) => Promise<Row[]>

/** What each client adapter provides; `signal` aborts on the deadline, and the adapter cancels what it can. */
interface Adapter {
  run(sql: string, params: Params, signal: AbortSignal): Promise<Row[]>
  /** BEGIN, `work`, COMMIT on one connection; ROLLBACK when `work` throws or the deadline passed. */
  transaction<T>(work: (run: Run) => Promise<T>, signal: AbortSignal): Promise<T>
}

/**
 * The store's transactions run at READ COMMITTED whatever the connection's default (`default_transaction_isolation`
 * may be SERIALIZABLE): the capped login's statements must see what the sessions before it committed once its lock
 * is granted, not a snapshot taken before it waited.
 */
const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED'

/** The error a deadline raises. */
export function timedOut(ms: number): HallpassError {
  return new HallpassError(
    'STORE_UNAVAILABLE',
    `the Postgres session store is unavailable: no answer within ${ms} ms`,
  )
}

const statementNames = new Map<string, string>()

/**
 * A stable name for one of the store's statements, so pg prepares it once per connection (Parse and plan once,
 * then Bind/Execute with the parameters only): the statements are long, and a read is one of them.
 */
function statementName(sql: string): string {
  let name = statementNames.get(sql)
  if (name === undefined) {
    name = `hallpass_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`
    statementNames.set(sql, name)
  }
  return name
}

/** pg's query config: named (prepared) unless the app turned that off, or for transaction control. */
function pgQuery(sql: string, params: Params, prepare: boolean): PgQueryConfig {
  const config: PgQueryConfig = { text: sql, values: [...params], rowMode: 'array' }
  if (prepare && params.length > 0) config.name = statementName(sql)
  return config
}

/** Throws when the deadline passed, so nothing more is sent (and a transaction rolls back instead of committing). */
function checkSignal(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason
}

function rowsOf(result: { rows: unknown[] } | unknown): Row[] {
  const rows = (result as { rows?: unknown } | null)?.rows ?? result
  if (!Array.isArray(rows) || !rows.every(Array.isArray))
    throw new HallpassError(
      'STORE_UNAVAILABLE',
      'the Postgres client returned rows in an unknown shape',
    )
  return rows as Row[]
}

/** Resolves with `pending` unless the signal aborts first; a value that arrives late goes to `late` (to give back). */
function abortable<T>(
  pending: Promise<T>,
  signal: AbortSignal,
  late: (value: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        if (signal.aborted) late(value)
        else resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/** A pg Pool: each call checks out a connection; at the deadline, the waiting checkout or busy connection is cut. */
function pgPool(pool: PgPoolLike, prepare: boolean): Adapter {
  const withClient = async <T>(
    signal: AbortSignal,
    work: (client: PgPoolClientLike) => Promise<T>,
  ): Promise<T> => {
    const client = await abortable(pool.connect(), signal, (late) => late.release())
    let released = false
    const release = (destroy: boolean): void => {
      if (released) return
      released = true
      client.release(destroy)
    }
    // A statement past its deadline is cut off with its connection: the server rolls back an open transaction.
    const onAbort = (): void => release(true)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const result = await work(client)
      release(false)
      return result
    } catch (err) {
      release(!isServerError(err))
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }
  const query = async (client: PgPoolClientLike, sql: string, params: Params): Promise<Row[]> =>
    rowsOf(await client.query(pgQuery(sql, params, prepare)))
  return {
    run: (sql, params, signal) => withClient(signal, (client) => query(client, sql, params)),
    transaction: (work, signal) =>
      withClient(signal, async (client) => {
        await query(client, BEGIN, [])
        try {
          const result = await work(async (sql, params) => {
            checkSignal(signal)
            return query(client, sql, params)
          })
          checkSignal(signal)
          await query(client, 'COMMIT', [])
          return result
        } catch (err) {
          if (!signal.aborted) await query(client, 'ROLLBACK', []).catch(() => undefined)
          throw err
        }
      }),
  }
}

/**
 * One pg Client is one connection: the store's statements on it run one at a time, so a transaction never takes in
 * a statement of another request. (Your own queries on the same Client can still interleave: prefer a Pool.)
 */
function pgClient(client: PgClientLike, prepare: boolean): Adapter {
  let tail: Promise<unknown> = Promise.resolve()
  const serial = <T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> => {
    const next = tail.then(() => {
      checkSignal(signal) // its deadline passed while it waited: never sent
      return work()
    })
    tail = next.catch(() => undefined)
    return next
  }
  const query = async (sql: string, params: Params): Promise<Row[]> =>
    rowsOf(await client.query(pgQuery(sql, params, prepare)))
  return {
    run: (sql, params, signal) => serial(signal, () => query(sql, params)),
    transaction: (work, signal) =>
      serial(signal, async () => {
        await query(BEGIN, [])
        try {
          const result = await work(async (sql, params) => {
            checkSignal(signal)
            return query(sql, params)
          })
          checkSignal(signal)
          await query('COMMIT', [])
          return result
        } catch (err) {
          await query('ROLLBACK', []).catch(() => undefined)
          throw err
        }
      }),
  }
}

/** postgres.js: queries are cancelled on the deadline (taken out of the queue, or cancelled on the server). */
function postgresJs(sql: PostgresJsLike): Adapter {
  const values = async (query: PostgresJsQueryLike, signal: AbortSignal): Promise<Row[]> => {
    const pending = query.values()
    const cancel = (): void => void Promise.resolve(pending.cancel()).catch(() => undefined)
    signal.addEventListener('abort', cancel, { once: true })
    try {
      return rowsOf(await pending)
    } finally {
      signal.removeEventListener('abort', cancel)
    }
  }
  return {
    run: (text, params, signal) => values(sql.unsafe(text, [...params]), signal),
    transaction: async (work, signal) => {
      let result: unknown
      const begun = sql.begin('isolation level read committed', async (tx) => {
        checkSignal(signal) // it waited for a connection past its deadline: roll back at once
        result = await work(async (text, params) => {
          checkSignal(signal)
          return values(tx.unsafe(text, [...params]), signal)
        })
        checkSignal(signal)
      })
      await begun
      return result as Awaited<ReturnType<typeof work>>
    },
  }
}

/** PGlite runs in this process, one statement at a time; a statement cannot be cancelled, only waited for. */
function pglite(db: PGliteLike): Adapter {
  const query = async (target: PGliteQueryLike, sql: string, params: Params): Promise<Row[]> =>
    rowsOf(await target.query(sql, [...params], { rowMode: 'array' }))
  return {
    run: (sql, params) => query(db, sql, params),
    transaction: async (work, signal) => {
      let result: unknown
      await db.transaction(async (tx) => {
        checkSignal(signal)
        await query(tx, 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED', [])
        result = await work(async (sql, params) => {
          checkSignal(signal)
          return query(tx, sql, params)
        })
        checkSignal(signal)
      })
      return result as Awaited<ReturnType<typeof work>>
    },
  }
}

/** True for an error the server sent (it has a SQLSTATE): the connection itself is still good. */
export function isServerError(err: unknown): boolean {
  return sqlState(err) !== undefined
}

/** The SQLSTATE of a server error (`40001`, `23505`...), or undefined for anything else. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/** Runs SQL on whichever client was given, each call bounded by `timeoutMs`. */
export class PostgresDriver {
  readonly kind: ClientKind
  private readonly adapter: Adapter
  private listening = false

  constructor(
    readonly client: PostgresClientLike,
    private readonly timeoutMs: number,
    /** pg only: name the store's statements so each connection prepares them once (off behind an old PgBouncer). */
    prepare = true,
  ) {
    const kind = clientKind(client)
    if (kind === undefined)
      configError(
        'postgresStore client must be a pg Pool or Client, a postgres.js sql instance, or a PGlite database',
      )
    this.kind = kind
    if (kind === 'pg Pool') this.adapter = pgPool(client as PgPoolLike, prepare)
    else if (kind === 'pg Client') this.adapter = pgClient(client as PgClientLike, prepare)
    else if (kind === 'postgres.js') this.adapter = postgresJs(client as PostgresJsLike)
    else this.adapter = pglite(client as PGliteLike)
    if (kind === 'pg Pool' || kind === 'pg Client') {
      listenForErrors(client)
      this.listening = true
    }
  }

  /** Stops listening for the client's errors once no store uses it; the client itself stays open (the app owns it). */
  release(): void {
    if (!this.listening) return
    this.listening = false
    stopListeningForErrors(this.client)
  }

  /** One statement (its own transaction). Rejects with the client's error, or STORE_UNAVAILABLE past the deadline. */
  run(sql: string, params: Params): Promise<Row[]> {
    return this.bounded((signal) => this.adapter.run(sql, params, signal))
  }

  /** `work` inside one transaction on one connection, the whole of it bounded by the deadline. */
  transaction<T>(work: (run: Run) => Promise<T>): Promise<T> {
    return this.bounded((signal) => this.adapter.transaction(work, signal))
  }

  private async bounded<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(timedOut(this.timeoutMs)), this.timeoutMs)
    timer.unref?.()
    const work = call(controller.signal)
    try {
      return await abortable(work, controller.signal, () => undefined)
    } finally {
      clearTimeout(timer)
      work.catch(() => undefined) // an answer after the deadline is dropped, not an unhandled rejection
    }
  }
}
