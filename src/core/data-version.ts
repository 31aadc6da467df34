// Session data versions: the upgrade chain (`dataVersion`, `migrate`), checked at startup and run on every load.
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { configError, HallpassError } from '../errors.ts'
import { isPlainObject } from '../json.ts'
import type { SessionData, SessionRecord, Store } from '../stores/types.ts'
import { cloneData, checkSchema, type SchemaVerdict } from './data.ts'

/** Upgrades session data written at one version to the next: `migrate[n]` takes version n and returns version n + 1. */
export type DataMigration = (data: SessionData) => SessionData | Promise<SessionData>

/** `migrate` in `createSessions`: one step per older version, keyed by the version it upgrades from. */
export type DataMigrations = Readonly<Record<number, DataMigration>>

/** The data version this process writes, and how it upgrades older data. */
export interface DataVersions {
  /** The version of the data shape this process reads and writes (`dataVersion`). */
  readonly current: number
  /** `steps[n - 1]` upgrades version n to n + 1, for n from 1 to current - 1. */
  readonly steps: readonly DataMigration[]
}

/** What a record's data gives this process. */
export type LoadedData<D> =
  /** Readable: at this process's version, or upgraded to it in memory (`from`: the stored version). */
  | { readonly data: D; readonly from?: number }
  /** Written by a newer deploy: this process cannot read it (and must not delete it). */
  | { readonly newer: number }
  /** At a version this process knows, but failing the schema. */
  | { readonly issues: readonly StandardSchemaV1.Issue[] }

/** The largest data version accepted: far beyond any real deploy count, and an exact integer in every store. */
const MAX_DATA_VERSION = 1_000_000

/** A record's data version: absent means 1 (records written before data versions existed). */
export function dataVersionOf(record: Pick<SessionRecord, 'dataVersion'>): number {
  return record.dataVersion ?? 1
}

/** The record field for a data version, in its compact form: omitted for 1. */
export function dataVersionField(version: number): { dataVersion?: number } {
  return version === 1 ? {} : { dataVersion: version }
}

/**
 * Checks `dataVersion` and `migrate` (createSessions options). `store` is undefined with sealed cookies (the version
 * travels in the cookie). Throws CONFIG_INVALID naming the fix.
 */
export function resolveDataVersions(
  dataVersion: unknown,
  migrate: unknown,
  store: Store | undefined,
): DataVersions {
  const current = dataVersion ?? 1
  if (
    !Number.isSafeInteger(current) ||
    (current as number) < 1 ||
    (current as number) > MAX_DATA_VERSION
  )
    configError(
      `dataVersion must be a whole number from 1 (the shape of your session data; raise it by one when a deploy changes the shape), got ${JSON.stringify(dataVersion)}`,
    )
  const version = current as number
  if (migrate !== undefined && !isPlainObject(migrate))
    configError(
      'migrate must be an object of functions keyed by the version they upgrade from: { 1: (data) => ({ ...data }) }',
    )
  const given = (migrate ?? {}) as Record<string, unknown>
  for (const [key, step] of Object.entries(given)) {
    const from = /^[1-9]\d{0,6}$/.test(key) ? Number(key) : undefined
    if (from === undefined)
      configError(`migrate keys are the data versions they upgrade from (1, 2, ...), got "${key}"`)
    if (from >= version)
      configError(
        `migrate[${from}] upgrades version ${from} to ${from + 1}, but dataVersion is ${version}: set dataVersion: ${from + 1}, or remove migrate[${from}]`,
      )
    if (typeof step !== 'function')
      configError(`migrate[${from}] must be a function (data) => upgraded data`)
  }
  const steps: DataMigration[] = []
  for (let from = 1; from < version; from++) {
    const step = given[String(from)]
    if (typeof step !== 'function')
      configError(
        `dataVersion is ${version}, but migrate[${from}] (version ${from} → ${from + 1}) is missing, so sessions written at version ${from} could not be read: add migrate: { ${from}: (data) => ({ ...data }) } (to drop such data on purpose: ${from}: () => ({}))`,
      )
    steps.push(step as DataMigration)
  }
  if (version > 1 && store !== undefined && store.keepsDataVersion !== true)
    configError(
      `the ${store.kind} store does not keep data versions, so dataVersion ${version} would upgrade the same data again on every load: use the memory, SQLite, Redis, PostgreSQL or Durable Object store, or sealedCookies(), or keep dataVersion at 1`,
    )
  return { current: version, steps }
}

/**
 * The data of a loaded record for this process: upgraded through `migrate` when older, then checked against the
 * schema; `newer` (unchecked) when a newer deploy wrote it. Synchronous in the common case (data at this version, no
 * schema or a synchronous one): every load runs it, and a promise per load is measurable (docs/performance.md).
 * @throws SESSION_DATA_INVALID when a migration throws or returns something that is not a plain object (an app
 * bug: the record is kept, so a fixed migration can still upgrade it).
 */
export function loadData<D extends SessionData>(
  versions: DataVersions,
  schema: StandardSchemaV1<unknown, D> | undefined,
  record: SessionRecord,
): LoadedData<D> | Promise<LoadedData<D>> {
  const stored = dataVersionOf(record)
  if (stored > versions.current) return { newer: stored }
  if (stored < versions.current) return loadUpgraded(versions, schema, record, stored)
  const checked = checkSchema(schema, record.data)
  return checked instanceof Promise ? checked.then(loadedData) : loadedData(checked)
}

/** `loadData` for data older than this version: upgraded through `migrate`, then checked. */
async function loadUpgraded<D extends SessionData>(
  versions: DataVersions,
  schema: StandardSchemaV1<unknown, D> | undefined,
  record: SessionRecord,
  stored: number,
): Promise<LoadedData<D>> {
  const checked = await checkSchema(schema, await upgradeData(versions, record))
  return checked.ok ? { data: checked.value, from: stored } : { issues: checked.issues }
}

function loadedData<D>(checked: SchemaVerdict<D>): LoadedData<D> {
  return checked.ok ? { data: checked.value } : { issues: checked.issues }
}

/**
 * A stored record's data at this process's version (without the schema check): for `update()`, which reads the
 * store again. Throws SESSION_CONFLICT when a newer deploy wrote it meanwhile.
 */
export async function upgradeData(
  versions: DataVersions,
  record: SessionRecord,
): Promise<SessionData> {
  const stored = dataVersionOf(record)
  if (stored > versions.current) throw newerDataError(stored, versions.current)
  let data = record.data
  for (let from = stored; from < versions.current; from++) {
    let next: unknown
    try {
      next = await (versions.steps[from - 1] as DataMigration)(cloneData(data))
    } catch (cause) {
      throw new HallpassError(
        'SESSION_DATA_INVALID',
        `migrate[${from}] threw on the data of session ${record.id}; the record is kept: fix the migration`,
        { cause },
      )
    }
    if (!isPlainObject(next))
      throw new HallpassError(
        'SESSION_DATA_INVALID',
        `migrate[${from}] must return the upgraded data as a plain object; the record of session ${record.id} is kept`,
      )
    data = next
  }
  return data
}

/** The error a change to data written by a newer deploy gets: a 409 (retry), never a sign-out. */
export function newerDataError(stored: number, current: number): HallpassError {
  return new HallpassError(
    'SESSION_CONFLICT',
    `this session's data was written by a newer deploy (data version ${stored}; this process reads up to ${current}), so it cannot be changed here; retry (an upgraded instance can), or finish the deploy`,
  )
}
