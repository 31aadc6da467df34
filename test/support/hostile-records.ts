// Hostile session records for property tests: random and mutated records written raw into memory, SQLite and Redis.
import type { Database } from 'better-sqlite3'
import fc from 'fast-check'
import type { RedisClientType } from 'redis'
import type { SessionRecord, Store } from '../../src/stores/types.ts'

/** Integers as text, around every edge a decoder can get wrong. */
const integerText = fc.oneof(
  fc.constantFrom(
    '9007199254740991',
    '9007199254740992',
    '9007199254740993',
    '9999999999999999',
    '-1',
    '0',
    '1e3',
    'NaN',
    '',
    '1.5',
    '-0',
    '00',
    ' 1',
    '8640000000000001',
  ),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.integer().map(String),
)

/** JSON text nested `depth` levels deep, as arrays or objects. */
function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
}

/** JSON text a data value may hold: plain, deep, huge, polluting, non-finite, or not JSON at all. */
export const hostileJsonText = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc
    .tuple(
      fc.integer({ min: 60, max: 12_000 }),
      fc.constantFrom('array' as const, 'object' as const),
    )
    .map(([depth, kind]) => nested(depth, kind)),
  fc.integer({ min: 500, max: 6000 }).map((n) => JSON.stringify('x'.repeat(n))),
  fc.constantFrom(
    '{"__proto__":{"admin":true}}',
    '{"a":{"constructor":{"prototype":{"x":1}}}}',
    '1e400',
    '-1e400',
    '[1e999]',
    '{"a":"\\u005f_proto__"}',
    'null',
    '"str"',
  ),
  fc.string({ maxLength: 40 }),
)

/** Any JS value a broken store (or a memory store written by a bug) could hand back. */
const hostileValue = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_VALUE,
    -1,
    Number.NaN,
    Infinity,
    1.5,
    '',
    null,
    undefined,
    true,
    'x'.repeat(600),
    1e16,
  ),
  hostileJsonText.map((text) => {
    try {
      return JSON.parse(text) as unknown
    } catch {
      return text
    }
  }),
)

const RECORD_FIELDS = [
  'id',
  'userId',
  'data',
  'createdAt',
  'lastSeenAt',
  'expiresAt',
  'persistent',
  'version',
  'roles',
  'permissions',
  'ip',
  'userAgent',
  'issuedAt',
] as const

/** A valid record mutated in one to three fields, or with its data replaced: for stores that take objects. */
export function mutatedRecord(valid: SessionRecord): fc.Arbitrary<Record<string, unknown>> {
  const fieldEdit = fc.tuple(fc.constantFrom(...RECORD_FIELDS), hostileValue)
  const dataEdit = fc.tuple(
    fc.constant('data' as const),
    fc.dictionary(fc.string({ maxLength: 8 }), hostileValue, { maxKeys: 3 }),
  )
  return fc.array(fc.oneof(fieldEdit, dataEdit), { minLength: 1, maxLength: 3 }).map((edits) => {
    const record: Record<string, unknown> = { ...valid, data: { ...valid.data } }
    for (const [field, value] of edits)
      if (field !== 'id' || typeof value === 'string') record[field] = value
    return record
  })
}

/** Writes a record object into a store through its own API (the store may refuse it: then nothing is written). */
export async function writeObject(store: Store, record: Record<string, unknown>): Promise<boolean> {
  try {
    await store.create(record as unknown as SessionRecord, { ttl: 60_000 })
    return true
  } catch {
    return false
  }
}

/** The hash fields hallpass writes for a session, for mutation. */
export function validHash(now: number): Record<string, string> {
  return {
    c: String(now),
    l: '0',
    e: '3600000',
    v: '3',
    u: 'victim',
    r: '["user"]',
    i: '203.0.113.9',
    a: 'Mozilla/5.0',
    '.cart': '["book"]',
  }
}

/** A Redis hash: hallpass's own fields with hostile values, some removed, unknown ones added; or random pairs. */
export function hostileHash(now: number): fc.Arbitrary<Record<string, string>> {
  const base = validHash(now)
  const field = fc.oneof(
    fc.constantFrom(
      ...Object.keys(base),
      'p',
      't',
      'r1',
      'a1',
      'a999',
      'm',
      'z',
      '.__proto__',
      '.toString',
    ),
    fc.string({ maxLength: 6 }).map((s) => `.${s}`),
  )
  const value = fc.oneof(integerText, hostileJsonText, fc.string({ maxLength: 20 }))
  const mutated = fc
    .tuple(
      fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 4 }),
      fc.subarray(Object.keys(base), { maxLength: 2 }),
    )
    .map(([edits, removed]) => {
      const hash: Record<string, string> = { ...base }
      for (const name of removed) delete hash[name]
      for (const [name, v] of edits) hash[name] = v
      return hash
    })
  const random = fc.dictionary(field, value, { minKeys: 1, maxKeys: 6 })
  return fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: random })
}

/** Replaces the session's hash with `hash`, raw. */
export async function writeHash(
  client: RedisClientType,
  key: string,
  hash: Record<string, string>,
): Promise<void> {
  await client.multi().del(key).hSet(key, hash).pExpire(key, 60_000).exec()
}

const COLUMNS = [
  'user_id',
  'data',
  'created_at',
  'last_seen_at',
  'expires_at',
  'persistent',
  'version',
  'roles',
  'permissions',
  'ip',
  'user_agent',
] as const

/** A SQLite row: hallpass's columns with values of any SQLite type, valid or not. */
export function hostileRow(now: number): fc.Arbitrary<Record<string, unknown>> {
  const base: Record<string, unknown> = {
    user_id: 'victim',
    data: '{"cart":["book"]}',
    created_at: now,
    last_seen_at: now,
    expires_at: now + 3_600_000,
    persistent: 0,
    version: 3,
    roles: '["user"]',
    permissions: null,
    ip: null,
    user_agent: null,
  }
  const sqlValue = fc.oneof(
    hostileJsonText,
    integerText,
    fc.constantFrom(2 ** 53, 2 ** 53 + 2, 1e300, -1, 0.5, 2, null),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
  )
  const edit = fc.tuple(fc.constantFrom(...COLUMNS), sqlValue)
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    const row = { ...base }
    for (const [column, value] of edits) row[column] = value
    return row
  })
}

/** Replaces the session's row with `row`, raw (the insert may fail a NOT NULL constraint: then nothing is written). */
export function writeRow(
  db: Database,
  table: string,
  id: string,
  row: Record<string, unknown>,
  dropAt: number,
): boolean {
  try {
    db.prepare(`DELETE FROM "${table}" WHERE id = ?`).run(id)
    const columns = ['id', ...COLUMNS, 'drop_at']
    db.prepare(
      `INSERT INTO "${table}" (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    ).run(id, ...COLUMNS.map((c) => row[c]), dropAt)
    return true
  } catch {
    return false
  }
}
