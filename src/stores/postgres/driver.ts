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

/** What each client adapter provides; at the deadline `deadline.cut` runs, and the adapter cancels what it can. */
interface Adapter {
  run(sql: string, params: Params, deadline: Deadline): Promise<Row[]>
  /** BEGIN, `work`, COMMIT on one connection; ROLLBACK when `work` throws or the deadline passed. */
  transaction<T>(work: (run: Run) => Promise<T>, deadline: Deadline): Promise<T>
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

/**
 * One call's deadline. A plain object, not an AbortController: it is made for every statement, and an AbortSignal's
 * event listeners cost more than the rest of the driver's work on a read (see docs/performance.md).
 */
class Deadline {
  expired = false
  /** While the call holds something to cut off at the deadline (a pooled connection, a running query): how. */
  cut: (() => void) | undefined = undefined

  constructor(private readonly ms: number) {}

  /** Throws STORE_UNAVAILABLE once the deadline passed, so nothing more is sent (a transaction rolls back). */
  check(): void {
    if (this.expired) throw this.error()
  }

  /** The error a call past this deadline rejects with. */
  error(): HallpassError {
    return timedOut(this.ms)
  }

  /** Marks the deadline passed and cuts off what the call holds; returns the error the call rejects with. */
  expire(): HallpassError {
    this.expired = true
    const cut = this.cut
    this.cut = undefined
    cut?.()
    return this.error()
  }
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

function rowsOf(result: { rows: unknown[] } | unknown): Row[] {
  const rows = (result as { rows?: unknown } | null)?.rows ?? result
  if (!Array.isArray(rows) || !rows.every(Array.isArray))
    throw new HallpassError(
      'STORE_UNAVAILABLE',
      'the Postgres client returned rows in an unknown shape',
    )
  return rows as Row[]
}

/** A pg Pool: each call checks out a connection; at the deadline, the waiting checkout or busy connection is cut. */
function pgPool(pool: PgPoolLike, prepare: boolean): Adapter {
  const withClient = async <T>(
    deadline: Deadline,
    work: (client: PgPoolClientLike) => Promise<T>,
  ): Promise<T> => {
    const client = await pool.connect()
    if (deadline.expired) {
      client.release() // the checkout came after the deadline: given back, nothing sent
      throw deadline.error()
    }
    let released = false
    const release = (destroy: boolean): void => {
      if (released) return
      released = true
      client.release(destroy)
    }
    // A statement past its deadline is cut off with its connection: the server rolls back an open transaction.
    deadline.cut = () => release(true)
    try {
      const result = await work(client)
      release(false)
      return result
    } catch (err) {
      release(!isServerError(err))
      throw err
    } finally {
      deadline.cut = undefined
    }
  }
  const query = async (client: PgPoolClientLike, sql: string, params: Params): Promise<Row[]> =>
    rowsOf(await client.query(pgQuery(sql, params, prepare)))
  return {
    run: (sql, params, deadline) => withClient(deadline, (client) => query(client, sql, params)),
    transaction: (work, deadline) =>
      withClient(deadline, async (client) => {
        await query(client, BEGIN, [])
        try {
          const result = await work(async (sql, params) => {
            deadline.check()
            return query(client, sql, params)
          })
          deadline.check()
          await query(client, 'COMMIT', [])
          return result
        } catch (err) {
          if (!deadline.expired) await query(client, 'ROLLBACK', []).catch(() => undefined)
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
  const serial = <T>(deadline: Deadline, work: () => Promise<T>): Promise<T> => {
    const next = tail.then(() => {
      deadline.check() // its deadline passed while it waited: never sent
      return work()
    })
    tail = next.catch(() => undefined)
    return next
  }
  const query = async (sql: string, params: Params): Promise<Row[]> =>
    rowsOf(await client.query(pgQuery(sql, params, prepare)))
  return {
    run: (sql, params, deadline) => serial(deadline, () => query(sql, params)),
    transaction: (work, deadline) =>
      serial(deadline, async () => {
        await query(BEGIN, [])
        try {
          const result = await work(async (sql, params) => {
            deadline.check()
            return query(sql, params)
          })
          deadline.check()
          await query('COMMIT', [])
          return result
        } catch (err) {
          await query('ROLLBACK', []).catch(() => undefined)
          throw err
        }
      }),
  }
}

/** The OID of `text`: every parameter is text, cast in the SQL. */
const TEXT_OID = 25

/**
 * postgres.js: queries are cancelled on the deadline (taken out of the queue, or cancelled on the server). Parameters
 * go typed as text and statements prepared (unless the instance has `prepare: false`): postgres.js otherwise asks the
 * server for the parameter types of every `unsafe()` query before it runs it, a second round trip per statement.
 */
function postgresJs(sql: PostgresJsLike, prepare: boolean): Adapter {
  const options = { prepare: prepare && sql.options?.prepare !== false }
  const typed = (params: Params): never[] =>
    params.map((value) => sql.typed(value, TEXT_OID)) as never[] // postgres.js's Parameter objects
  const values = async (query: PostgresJsQueryLike, deadline: Deadline): Promise<Row[]> => {
    const pending = query.values()
    deadline.cut = () => void Promise.resolve(pending.cancel()).catch(() => undefined)
    try {
      return rowsOf(await pending)
    } finally {
      deadline.cut = undefined
    }
  }
  return {
    run: (text, params, deadline) => values(sql.unsafe(text, typed(params), options), deadline),
    transaction: async (work, deadline) => {
      let result: unknown
      const begun = sql.begin('isolation level read committed', async (tx) => {
        deadline.check() // it waited for a connection past its deadline: roll back at once
        result = await work(async (text, params) => {
          deadline.check()
          return values(tx.unsafe(text, typed(params), options), deadline)
        })
        deadline.check()
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
    transaction: async (work, deadline) => {
      let result: unknown
      await db.transaction(async (tx) => {
        deadline.check()
        await query(tx, 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED', [])
        result = await work(async (sql, params) => {
          deadline.check()
          return query(tx, sql, params)
        })
        deadline.check()
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
    /** Name the store's statements so each connection prepares them once (off behind an old PgBouncer). */
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
    else if (kind === 'postgres.js') this.adapter = postgresJs(client as PostgresJsLike, prepare)
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
    return this.bounded((deadline) => this.adapter.run(sql, params, deadline))
  }

  /** `work` inside one transaction on one connection, the whole of it bounded by the deadline. */
  transaction<T>(work: (run: Run) => Promise<T>): Promise<T> {
    return this.bounded((deadline) => this.adapter.transaction(work, deadline))
  }

  /** Settles with `call`, or rejects with STORE_UNAVAILABLE at the deadline; an answer after it is dropped. */
  private bounded<T>(call: (deadline: Deadline) => Promise<T>): Promise<T> {
    const deadline = new Deadline(this.timeoutMs)
    return new Promise<T>((resolve, reject) => {
      const work = call(deadline) // a synchronous throw rejects this promise, before any timer exists
      const timer = setTimeout(() => reject(deadline.expire()), this.timeoutMs)
      timer.unref?.()
      work.then(
        (value) => {
          clearTimeout(timer)
          resolve(value) // a no-op once the deadline rejected: the late answer is dropped
        },
        (err: unknown) => {
          clearTimeout(timer)
          reject(err)
        },
      )
    })
  }
}
