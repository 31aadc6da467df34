// The parts of the Workers runtime the Durable Object store uses, as structural types (no @cloudflare/workers-types needed).

/** A cursor over a statement's result (`SqlStorageCursor`). */
export interface SqlCursor {
  toArray(): Record<string, unknown>[]
  readonly rowsWritten: number
}

/** A Durable Object's SQLite database (`ctx.storage.sql`). */
export interface SqlStorage {
  exec(query: string, ...bindings: unknown[]): SqlCursor
}

/** What the store uses of `ctx.storage` in a SQLite-backed Durable Object. */
export interface DurableStorage {
  readonly sql: SqlStorage
  transactionSync<T>(fn: () => T): T
  getAlarm(): Promise<number | null>
  setAlarm(at: number | Date): Promise<void>
}

/** The `ctx` a Durable Object's constructor receives (`DurableObjectState`). */
export interface DurableState {
  readonly storage: DurableStorage
}

/** A stub of one Durable Object: the store talks to it with `fetch`. */
export interface DurableStub {
  fetch(input: string, init?: RequestInit): Promise<Response>
}

/** A Durable Object namespace binding (`env.SESSIONS`, a `DurableObjectNamespace`). */
export interface DurableNamespace {
  idFromName(name: string): unknown
  get(id: never): DurableStub
}
