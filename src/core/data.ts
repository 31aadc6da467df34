// Checks session data against the schema, the size limit and JSON rules, and diffs it for patches.
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { HallpassError } from '../errors.ts'
import type { SessionData } from '../stores/types.ts'
import { assertJsonValue, isPlainObject, writableKeyProblem } from '../json.ts'

/** What a schema check gives: the schema's output, or its issues. Tagged, so data with an `issues` key is still data. */
export type SchemaVerdict<D> =
  { ok: true; value: D } | { ok: false; issues: readonly StandardSchemaV1.Issue[] }

/**
 * Runs the Standard Schema (if any): its output, or its issues. Synchronous (no promise) when there is no schema or it
 * validates synchronously, so the common load allocates none; a promise only for an async schema.
 */
export function checkSchema<D extends SessionData>(
  schema: StandardSchemaV1<unknown, D> | undefined,
  data: unknown,
): SchemaVerdict<D> | Promise<SchemaVerdict<D>> {
  if (!schema) return { ok: true, value: data as D }
  const result = schema['~standard'].validate(data)
  return result instanceof Promise ? result.then(schemaVerdict) : schemaVerdict(result)
}

function schemaVerdict<D>(result: StandardSchemaV1.Result<D>): SchemaVerdict<D> {
  if (result.issues) return { ok: false, issues: result.issues }
  return isPlainObject(result.value)
    ? { ok: true, value: result.value }
    : { ok: false, issues: [{ message: 'schema output is not an object' }] }
}

/**
 * Validates data about to be written: plain JSON only (see `jsonProblem`), the schema checked against the
 * JSON round trip (what the next load will see), and `maxDataBytes`. Throws typed errors (call it from an async
 * function, so they reject). A promise only for an async schema: every write with a change runs this.
 */
export function checkWritableData<D extends SessionData>(
  schema: StandardSchemaV1<unknown, D> | undefined,
  data: SessionData,
  maxBytes: number,
): Promise<void> | undefined {
  if (!isPlainObject(data))
    throw new HallpassError('SESSION_DATA_INVALID', 'session data must be a plain object')
  for (const key of Object.keys(data)) {
    const problem = writableKeyProblem(key)
    if (problem !== undefined) {
      throw new HallpassError('SESSION_DATA_INVALID', `session data must be plain JSON: ${problem}`)
    }
    if (data[key] !== undefined) assertJsonValue(data[key], key) // a top-level undefined is a removal
  }
  const json = JSON.stringify(data)
  const bytes = Buffer.byteLength(json)
  if (bytes > maxBytes)
    throw new HallpassError(
      'SESSION_TOO_LARGE',
      `session data is ${bytes} bytes, over maxDataBytes (${maxBytes}); store large values elsewhere and keep an id in the session`,
    )
  if (!schema) return undefined
  const checked = checkSchema(schema, JSON.parse(json))
  return checked instanceof Promise ? checked.then(assertSchemaOk) : assertSchemaOk(checked)
}

function assertSchemaOk(checked: SchemaVerdict<SessionData>): undefined {
  if (!checked.ok) {
    const summary = checked.issues
      .slice(0, 3)
      .map((issue) => `${formatPath(issue.path)}${issue.message}`)
      .join('; ')
    throw new HallpassError(
      'SESSION_DATA_INVALID',
      `session data does not match the schema: ${summary}`,
    )
  }
}

function formatPath(path: StandardSchemaV1.Issue['path']): string {
  if (!path?.length) return ''
  return `${path.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.')}: `
}

/** Keys whose JSON differs between `before` and `after`, and keys removed. */
export function diffData(
  before: SessionData,
  after: SessionData,
): { set: SessionData; unset: string[] } {
  const set: SessionData = {}
  const unset: string[] = []
  for (const [key, value] of Object.entries(after)) {
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(before[key]))
      set[key] = value
  }
  for (const key of Object.keys(before))
    if (!Object.hasOwn(after, key) || after[key] === undefined) unset.push(key)
  return { set, unset }
}

/** A deep copy through JSON, which is what every store keeps. */
export function cloneData<D>(data: D): D {
  return JSON.parse(JSON.stringify(data)) as D
}
