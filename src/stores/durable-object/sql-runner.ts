// A Durable Object's `ctx.storage.sql` as the SQLite store's SQL runner: statements, exec and IMMEDIATE-like transactions.
import type { SqlRunner, Statement } from '../sqlite/driver.ts'
import type { SqlValue } from '../sqlite/databases.ts'
import type { DurableStorage } from './types.ts'

/** One statement: the SQL text, run with `exec` each time (the runtime caches prepared statements itself). */
function statement<P extends SqlValue[], R>(
  storage: DurableStorage,
  source: string,
): Statement<P, R> {
  const all = (...params: P): R[] => storage.sql.exec(source, ...params).toArray() as R[]
  return {
    get: (...params) => all(...params)[0],
    all,
    run: (...params) => {
      const cursor = storage.sql.exec(source, ...params)
      cursor.toArray()
      return cursor.rowsWritten
    },
  }
}

/**
 * The SQLite store's runner over a Durable Object's storage. A transaction is `transactionSync`: the object is
 * single-threaded and each call is synchronous, so nothing else runs in between and a throw rolls it back.
 * Numbers come back as numbers in Durable Object SQL already; the runtime owns the file (nothing to close).
 */
export function durableSqlRunner(storage: DurableStorage): SqlRunner<DurableStorage> {
  return {
    database: storage,
    prepare: (source) => statement(storage, source),
    exec: (source) => void storage.sql.exec(source).toArray(),
    immediate: (work) => storage.transactionSync(work),
    close: () => undefined,
  }
}
