// Every statement the Postgres store runs, written once for all clients and built once per table.
import { INSERT_COLUMNS, insertValues, RECORD_PARAMS, SELECT_COLUMNS } from './codec.ts'

/** A table and its schema, as validated identifiers. */
export interface TableName {
  readonly schema: string
  readonly table: string
}

/** `"schema"."name"`: names are validated lowercase identifiers, quoted all the same. */
export function qualified(schema: string, name: string): string {
  return `"${schema}"."${name}"`
}

/**
 * Epoch milliseconds from parameter `$n` (an injected clock), or else the database's clock: one clock for every
 * process on the database. `statement_timestamp()` is stable within a statement, so indexes still serve the filter.
 */
function now(n: number): string {
  return `coalesce($${n}::text::bigint, floor(extract(epoch FROM statement_timestamp()) * 1000)::bigint)`
}

/** Parameter $10 of a patch: the data version its keys are written in, or NULL. */
const DATA_VERSION = '$10::text::integer'
/** The row's data version, NULL read as 1. */
const STORED_DATA_VERSION = 'coalesce(s.data_version, 1)'
/**
 * `dataVersionRefused` (src/stores/data-version.ts) on the row a patch updates: its data version differs from the
 * patch's and is higher, or lower without a compare-and-swap ($6). It is part of the UPDATE, not of a read before it,
 * so at READ COMMITTED it judges the row as it is once a concurrent writer (an upgrade by a newer deploy) committed.
 * On a refused row RETURNING sees the row unchanged, so still refused; on an accepted one, the data version raised to
 * the patch's, so not.
 */
const REFUSED =
  `(${DATA_VERSION} IS NOT NULL AND ${STORED_DATA_VERSION} <> ${DATA_VERSION} ` +
  `AND (${STORED_DATA_VERSION} > ${DATA_VERSION} OR $6::text IS NULL))`

/** A patch's new value for `column`: `changed`, or the column as it is when the data version refuses the patch. */
function unlessRefused(column: string, changed: string): string {
  return `CASE WHEN ${REFUSED} THEN s.${column} ELSE ${changed} END`
}

/** The statements of one sessions table. Parameters are listed in each comment, in order. */
export interface Statements {
  /** id, now → one row of SELECT_COLUMNS, live only */
  readonly select: string
  /**
   * The 14 record columns (RECORD_PARAMS), ttl, now, replaced id | null, tombstone ttl | null, tombstone time, maxPerUser | null →
   * the evicted ids. Writes the tombstone (or deletes the replaced row), the record, and evicts over the cap.
   */
  readonly create: string
  /** lock key → takes the per-user transaction lock that makes the cap exact under parallel logins */
  readonly lockUser: string
  /**
   * id, set (JSON object), unset (JSON array), lastSeenAt | null, ttl, expectVersion | null,
   * '1' to replace the device | null, device | null, now, dataVersion | null → [changed, version seen, refused]:
   * refused is 'true' when the row was live and left unchanged for its data version (`dataVersionRefused`)
   */
  readonly patch: string
  /** id, now → [live] when a row was deleted */
  readonly destroy: string
  /** id → deletes a row that could not be decoded */
  readonly remove: string
  /** userId, now → rows of SELECT_COLUMNS */
  readonly listByUser: string
  /** userId, except | null, ids (JSON array) | null, now → [id, live] per deleted row */
  readonly revoke: string
  /** batch size, now → [deleted] */
  readonly purge: string
  /** withinMs, now → [sessions, users, anonymous, expiring, maxPerUser] */
  readonly stats: string
}

/** Builds the statements for `schema.table`. */
export function statements({ schema, table }: TableName): Statements {
  const t = qualified(schema, table)
  const updateAll = INSERT_COLUMNS.split(', ')
    .filter((column) => column !== 'id')
    .map((column) => `${column} = excluded.${column}`)
    .join(', ')
  // create's parameters after the record's: ttl, now, replaced id, tombstone ttl, tombstone time, maxPerUser.
  const after = (n: number): number => RECORD_PARAMS + n
  const param = (n: number): string => `$${after(n)}::text`
  const [ttl, old, stoneTtl, max] = [param(1), param(3), param(4), param(6)]
  const stoneAt = `${param(5)}::bigint`
  return {
    select: `SELECT ${SELECT_COLUMNS} FROM ${t} WHERE id = $1::text AND drop_at > ${now(2)}`,
    create: `
      WITH clock AS (SELECT ${now(after(2))} AS ms),
      stone AS (
        INSERT INTO ${t} (id, user_id, data, created_at, last_seen_at, expires_at, drop_at, persistent, version)
        SELECT ${old}, NULL, '{}'::jsonb, ${stoneAt}, ${stoneAt},
          ${stoneAt} + ${stoneTtl}::bigint, clock.ms + ${stoneTtl}::bigint, false, 0
        FROM clock WHERE ${old} IS NOT NULL AND ${stoneTtl} IS NOT NULL
        ON CONFLICT (id) DO UPDATE SET user_id = NULL, data = '{}'::jsonb, created_at = excluded.created_at,
          last_seen_at = excluded.last_seen_at, expires_at = excluded.expires_at, drop_at = excluded.drop_at,
          persistent = false, version = 0, roles = NULL, permissions = NULL, ip = NULL, user_agent = NULL, device = NULL,
          data_version = NULL
      ),
      gone AS (DELETE FROM ${t} WHERE id = ${old} AND ${stoneTtl} IS NULL),
      fresh AS (
        INSERT INTO ${t} (${INSERT_COLUMNS}, drop_at)
        SELECT ${insertValues(1)}, clock.ms + ${ttl}::bigint FROM clock
        ON CONFLICT (id) DO UPDATE SET ${updateAll}, drop_at = excluded.drop_at
      ),
      victims AS (
        SELECT id FROM (
          SELECT s.id, row_number() OVER (ORDER BY s.last_seen_at DESC, s.created_at DESC, s.id DESC) AS recency
          FROM ${t} s, clock
          WHERE ${max} IS NOT NULL AND s.user_id = $2::text AND s.drop_at > clock.ms AND s.version > 0
            AND s.id <> $1::text AND s.id IS DISTINCT FROM ${old}
        ) ranked
        WHERE recency >= ${max}::integer
      )
      DELETE FROM ${t} WHERE id IN (SELECT id FROM victims) RETURNING id`,
    lockUser: `SELECT 1 FROM (SELECT pg_advisory_xact_lock($1::text::bigint)) locked`,
    patch: `
      WITH clock AS (SELECT ${now(9)} AS ms),
      seen AS (
        SELECT s.version FROM ${t} s, clock
        WHERE s.id = $1::text AND s.drop_at > clock.ms AND jsonb_typeof(s.data) = 'object'
      ),
      changed AS (
        UPDATE ${t} s SET
          data = ${unlessRefused('data', '(s.data - ARRAY(SELECT jsonb_array_elements_text($3::text::jsonb))) || $2::text::jsonb')},
          version = ${unlessRefused('version', 's.version + 1')},
          last_seen_at = ${unlessRefused('last_seen_at', 'greatest(s.last_seen_at, coalesce($4::text::bigint, s.last_seen_at))')},
          drop_at = ${unlessRefused('drop_at', 'greatest(s.drop_at, clock.ms + $5::text::bigint)')},
          device = ${unlessRefused('device', 'CASE WHEN $7::text IS NULL THEN s.device ELSE $8::text::jsonb END')},
          data_version = ${unlessRefused('data_version', `CASE WHEN ${DATA_VERSION} > ${STORED_DATA_VERSION} THEN ${DATA_VERSION} ELSE s.data_version END`)}
        FROM clock
        WHERE s.id = $1::text AND s.version > 0 AND s.drop_at > clock.ms AND jsonb_typeof(s.data) = 'object'
          AND ($6::text IS NULL OR s.version = $6::text::bigint)
        RETURNING ${REFUSED}::text AS refused
      )
      SELECT (SELECT count(*) FROM changed)::text, (SELECT version FROM seen)::text, (SELECT refused FROM changed)`,
    destroy: `DELETE FROM ${t} WHERE id = $1::text RETURNING (drop_at > ${now(2)})::text`,
    remove: `DELETE FROM ${t} WHERE id = $1::text`,
    listByUser: `
      SELECT ${SELECT_COLUMNS} FROM ${t}
      WHERE user_id = $1::text AND drop_at > ${now(2)} AND version > 0 ORDER BY created_at, id`,
    revoke: `
      DELETE FROM ${t}
      WHERE user_id = $1::text AND id IS DISTINCT FROM $2::text
        AND ($3::text IS NULL OR id IN (SELECT jsonb_array_elements_text($3::text::jsonb)))
      RETURNING id, (drop_at > ${now(4)})::text`,
    purge: `
      WITH clock AS (SELECT ${now(2)} AS ms),
      doomed AS (
        SELECT s.id FROM ${t} s, clock WHERE s.drop_at <= clock.ms
        ORDER BY s.drop_at LIMIT $1::text::integer FOR UPDATE OF s SKIP LOCKED
      ),
      gone AS (
        DELETE FROM ${t} s USING clock WHERE s.id IN (SELECT id FROM doomed) AND s.drop_at <= clock.ms RETURNING 1
      )
      SELECT count(*)::text FROM gone`,
    stats: `
      WITH clock AS (SELECT ${now(2)} AS ms),
      live AS (SELECT s.user_id, s.drop_at FROM ${t} s, clock WHERE s.drop_at > clock.ms AND s.version > 0)
      SELECT count(*)::text, count(DISTINCT user_id)::text, (count(*) FILTER (WHERE user_id IS NULL))::text,
        (count(*) FILTER (WHERE drop_at <= (SELECT ms FROM clock) + $1::text::bigint))::text,
        coalesce((
          SELECT max(n) FROM (SELECT count(*) AS n FROM live WHERE user_id IS NOT NULL GROUP BY user_id) per
        ), 0)::text
      FROM live`,
  }
}
