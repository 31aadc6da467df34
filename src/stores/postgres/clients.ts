// The shapes of the Postgres clients the store takes (pg, postgres.js, PGlite): structural, no driver types needed.

/** A query in pg's config form, rows as arrays. */
export interface PgQueryConfig {
  /** Set for the store's statements: pg prepares each once per connection, then sends only its parameters. */
  name?: string
  text: string
  values: Array<string | null>
  rowMode: 'array'
}

/** The parts of a pg `Client` (or a client checked out of a pool) the store uses. */
export interface PgClientLike {
  query(config: PgQueryConfig): Promise<{ rows: unknown[] }>
  connect(): Promise<unknown>
}

/** The parts of a client a pg `Pool` hands out. */
export interface PgPoolClientLike {
  query(config: PgQueryConfig): Promise<{ rows: unknown[] }>
  /** `release(true)` destroys the connection instead of returning it to the pool. */
  release(destroy?: boolean): void
}

/** The parts of a pg `Pool` the store uses. */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>
  readonly totalCount: number
}

/** A postgres.js query: awaitable, cancellable, and able to give its rows as arrays. */
export interface PostgresJsQueryLike extends PromiseLike<unknown> {
  values(): PromiseLike<unknown> & { cancel(): unknown }
  cancel(): unknown
}

/** Options of a postgres.js `unsafe()` query the store sets. */
export interface PostgresJsQueryOptions {
  /** A named statement, prepared once per connection (the instance's own `prepare: false` still wins). */
  prepare: boolean
}

/** The tagged-template function inside a postgres.js transaction (`sql.begin(tx => ...)`). */
export interface PostgresJsTransactionLike {
  /** `parameters` are values `typed()` made (postgres.js's own parameter type, opaque here). */
  unsafe(query: string, parameters: never[], options: PostgresJsQueryOptions): PostgresJsQueryLike
}

/** The parts of a postgres.js `sql` instance (`postgres(url)`) the store uses. */
export interface PostgresJsLike extends PostgresJsTransactionLike {
  /** `options` is what follows BEGIN (`'isolation level read committed'`). */
  begin(
    options: string,
    callback: (tx: PostgresJsTransactionLike) => Promise<unknown>,
  ): PromiseLike<unknown>
  /** A parameter with its type (an OID) given, so the server need not be asked for it. */
  typed(value: string | null, type: number): unknown
  /** The instance's options: `prepare: false` behind a pooler in transaction mode. */
  readonly options?: { readonly prepare?: boolean }
}

/** The query method of PGlite and of its transactions. */
export interface PGliteQueryLike {
  query(
    query: string,
    params: Array<string | null>,
    options: { rowMode: 'array' },
  ): Promise<{ rows: unknown[] }>
}

/** The parts of an `@electric-sql/pglite` `PGlite` (or `PGliteWorker`) the store uses. */
export interface PGliteLike extends PGliteQueryLike {
  transaction(callback: (tx: PGliteQueryLike) => Promise<unknown>): Promise<unknown>
}

/**
 * A pg `Pool` (recommended) or `Client`, a postgres.js `sql`, or a PGlite database. The kind is detected at
 * runtime; the app owns it and the store never connects or closes it.
 */
export type PostgresClientLike = PgPoolLike | PgClientLike | PostgresJsLike | PGliteLike

/** Which client a store was given. */
export type ClientKind = 'pg Pool' | 'pg Client' | 'postgres.js' | 'PGlite'

/** The kind of `client`, or undefined when it is none of the four. */
export function clientKind(client: unknown): ClientKind | undefined {
  if (client === null || (typeof client !== 'object' && typeof client !== 'function'))
    return undefined
  const c = client as Record<string, unknown>
  if (
    typeof client === 'function' &&
    typeof c.unsafe === 'function' &&
    typeof c.begin === 'function' &&
    typeof c.typed === 'function'
  )
    return 'postgres.js'
  if (typeof c.query !== 'function') return undefined
  if (typeof c.transaction === 'function') return 'PGlite'
  if (typeof c.connect === 'function' && typeof c.totalCount === 'number') return 'pg Pool'
  if (typeof c.connect === 'function') return 'pg Client'
  return undefined
}
