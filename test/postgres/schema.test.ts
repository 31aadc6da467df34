// The Postgres schema: migrations, the exported SQL, the version check on first use, and the store's options.
import pg from 'pg'
import postgres from 'postgres'
import { describe, expect, it } from 'vitest'
import {
  migratePostgres,
  postgresSchemaSql,
  postgresStore,
  POSTGRES_SCHEMA_VERSION,
} from '../../src/stores/postgres/index.ts'
import { testRecord } from '../../src/testing/index.ts'
import { uniqueTable, usePostgres } from '../support/postgres.ts'

const HOUR = 3_600_000
const db = usePostgres({ max: 6 })

describe('the schema version check', () => {
  it('refuses a table that was never migrated with CONFIG_INVALID naming the command, then works once it is', async () => {
    const table = uniqueTable('never')
    const store = postgresStore({ client: db.pool, table, purgeIntervalMs: 0 })
    const refusal = store.get('0000aaaaaaaaaaaaaaaaaaaaaa')
    await expect(refusal).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(refusal).rejects.toThrow(`hallpass migrate --postgres <URL> --table ${table}`)
    expect(await migratePostgres({ client: db.pool, table })).toEqual({
      from: 0,
      to: POSTGRES_SCHEMA_VERSION,
    })
    expect(await store.get('0000aaaaaaaaaaaaaaaaaaaaaa')).toBeNull() // the same store, no restart
  })

  it('refuses a table at another version: older asks for the migration, newer for an upgrade', async () => {
    for (const [version, message] of [
      [0, 'run `hallpass migrate'],
      [POSTGRES_SCHEMA_VERSION + 1, 'upgrade hallpass'],
    ] as const) {
      const table = uniqueTable('version')
      await migratePostgres({ client: db.pool, table })
      await db.pool.query('UPDATE hallpass_schema SET version = $1 WHERE table_name = $2', [
        version,
        table,
      ])
      const store = postgresStore({ client: db.pool, table, purgeIntervalMs: 0 })
      const refusal = store.create(testRecord(), { ttl: HOUR })
      await expect(refusal).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
      await expect(refusal).rejects.toThrow(message)
      expect((await db.pool.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n).toBe(0)
    }
  })

  it('names the schema in the command when it is not public, and migrate creates that schema', async () => {
    const schema = uniqueTable('schema')
    const store = postgresStore({ client: db.pool, schema, purgeIntervalMs: 0 })
    await expect(store.ping?.()).rejects.toThrow(
      `hallpass migrate --postgres <URL> --schema ${schema}`,
    )
    await migratePostgres({ client: db.pool, schema })
    await store.ping?.()
    const record = testRecord()
    await store.create(record, { ttl: HOUR })
    expect((await db.pool.query(`SELECT id FROM "${schema}".hallpass_sessions`)).rows).toEqual([
      { id: record.id },
    ])
  })
})

describe('migratePostgres', () => {
  it('sends no NOTICE when the tables already exist (postgres.js prints every notice by default)', async () => {
    const table = uniqueTable('quiet')
    const notices: string[] = []
    const sql = postgres(db.server.url, { max: 1, onnotice: (n) => notices.push(n.message ?? '') })
    try {
      await migratePostgres({ client: sql, table })
      await migratePostgres({ client: sql, table })
      await migratePostgres({ client: sql, table: uniqueTable('quiet2') })
      expect(notices).toEqual([])
    } finally {
      await sql.end()
    }
  })

  it('migrates once when three processes start together, and again is a no-op', async () => {
    const table = uniqueTable('together')
    const pools = [0, 1, 2].map(() => new pg.Pool({ connectionString: db.server.url, max: 1 }))
    try {
      const results = await Promise.all(pools.map((client) => migratePostgres({ client, table })))
      expect(results.map((r) => r.from).sort()).toEqual([0, 1, 1])
      expect(await migratePostgres({ client: db.pool, table })).toEqual({ from: 1, to: 1 })
    } finally {
      await Promise.all(pools.map((p) => p.end()))
    }
  })

  it('refuses a table newer than this hallpass and changes nothing', async () => {
    const table = uniqueTable('newer')
    await migratePostgres({ client: db.pool, table })
    await db.pool.query('UPDATE hallpass_schema SET version = 99 WHERE table_name = $1', [table])
    await expect(migratePostgres({ client: db.pool, table })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    })
    expect(
      (await db.pool.query('SELECT version FROM hallpass_schema WHERE table_name = $1', [table]))
        .rows,
    ).toEqual([{ version: 99 }])
  })

  it('the exported SQL, applied by another tool, gives a table the store accepts', async () => {
    const schema = uniqueTable('tool')
    const text = postgresSchemaSql({ schema, table: 'sessions' })
    expect(text).toContain(`schema version ${POSTGRES_SCHEMA_VERSION}`)
    await db.pool.query(text) // one simple-protocol query, as psql -f would send it
    const store = postgresStore({ client: db.pool, schema, table: 'sessions', purgeIntervalMs: 0 })
    const record = testRecord({ userId: 'tool-user' })
    await store.create(record, { ttl: HOUR })
    expect(await store.get(record.id)).toEqual(record)
    expect(await migratePostgres({ client: db.pool, schema, table: 'sessions' })).toEqual({
      from: 1,
      to: 1,
    })
  })
})

describe('postgresStore options', () => {
  it('refuses bad names, unknown options, bad numbers and clients that are not Postgres clients with CONFIG_INVALID', () => {
    const bad: Array<() => unknown> = [
      () => postgresStore({ client: db.pool, table: 'Sessions' }),
      () => postgresStore({ client: db.pool, table: 'a"; DROP TABLE users; --' }),
      () => postgresStore({ client: db.pool, schema: 'pg_catalog' }),
      () => postgresStore({ client: db.pool, table: 'hallpass_schema' }),
      () => postgresStore({ client: db.pool, statementTimeoutMs: 0 }),
      () => postgresStore({ client: db.pool, conflictRetries: -1 }),
      () => postgresStore({ client: db.pool, purgeBatch: 1.5 }),
      () => postgresStore({ client: db.pool, extra: 1 } as never),
      () => postgresStore({ client: {} as never }),
      () => postgresStore(undefined as never),
      () => postgresSchemaSql({ table: 'x y' }),
    ]
    for (const attempt of bad)
      expect(attempt).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it('close() stops the store but leaves the app’s pool open', async () => {
    const table = uniqueTable('close')
    await migratePostgres({ client: db.pool, table })
    const store = postgresStore({ client: db.pool, table })
    await store.close()
    expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  })
})

describe('preparedStatements (pg)', () => {
  const preparedOn = async (client: pg.Client): Promise<string[]> =>
    (await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows.map(
      (row) => row.name,
    )

  it('prepares each store statement once per connection by default, and not at all when off', async () => {
    const table = uniqueTable('prepared')
    await migratePostgres({ client: db.pool, table })
    for (const prepared of [true, false]) {
      const client = new pg.Client({ connectionString: db.server.url })
      await client.connect()
      try {
        const store = postgresStore({
          client,
          table,
          purgeIntervalMs: 0,
          ...(prepared ? {} : { preparedStatements: false }),
        })
        const record = testRecord()
        await store.create(record, { ttl: HOUR })
        for (let i = 0; i < 3; i++) expect(await store.get(record.id)).not.toBeNull()
        const names = (await preparedOn(client)).filter((name) => name.startsWith('hallpass_'))
        if (prepared) {
          expect(names.length).toBeGreaterThanOrEqual(2) // create and select, each once on this connection
          expect(new Set(names).size).toBe(names.length)
        } else expect(names).toEqual([])
        await store.close()
      } finally {
        await client.end()
      }
    }
  })

  it('refuses a value that is not a boolean with CONFIG_INVALID', () => {
    expect(() =>
      postgresStore({ client: db.pool, preparedStatements: 'no' as unknown as boolean }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})
