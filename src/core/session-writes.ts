// The handle's writes: builds records, writes them through the mode (a store, or the cookie), and emits their events.
import type { IssuedToken } from '../crypto/token.ts'
import type { CreateResult, SessionData, SessionPatch, SessionRecord } from '../stores/types.ts'
import type { TrackedData } from './changes.ts'
import { checkWritableData, cloneData, diffData } from './data.ts'
import { dataVersionField, dataVersionOf, upgradeData } from './data-version.ts'
import type { Internals } from './internals.ts'
import type { UpdateRound, WriteResult } from './mode.ts'
import { MAX_USER_AGENT_LENGTH } from './record-bounds.ts'

/** Client facts recorded with a session (device list). */
export interface ClientInfo {
  readonly ip?: string | undefined
  readonly userAgent?: string | undefined
}

/** @internal The fields of a new record the caller decides; the rest come from the clock, the token and the client. */
export type RecordFields = Omit<SessionRecord, 'id' | 'version' | 'lastSeenAt' | 'ip' | 'userAgent'>

/** @internal Who writes: the manager's internals and the request's client facts. */
export interface Writer {
  readonly ctx: Internals<SessionData>
  readonly client: ClientInfo
}

/** @internal The client's address as an event field, when known. */
export function ipField(client: ClientInfo): { ip?: string } {
  return client.ip !== undefined ? { ip: client.ip } : {}
}

/**
 * @internal
 * Creates a record for `fields` under a new id (`token`, or one issued now). `previous` (login, regenerate; null when
 * there was no session) makes it a rotation: the new record replaces it, `retireRecord` ends it once the handle holds
 * the new id, and `maxSessionsPerUser` applies. Emits `session.revoked` for what the store evicted to make room, and
 * `session.created` when nothing is replaced.
 * @throws SESSION_DATA_INVALID or SESSION_TOO_LARGE when the data fails the schema or `maxDataBytes`.
 * @throws STORE_UNAVAILABLE when the store fails.
 */
export async function createRecord(
  { ctx, client }: Writer,
  fields: RecordFields,
  options: { readonly previous?: SessionRecord | null; readonly token?: IssuedToken },
): Promise<{ readonly record: SessionRecord; readonly cookieValue: string }> {
  // Data a newer deploy wrote is carried as it is: this process's schema does not describe it.
  if (dataVersionOf(fields) <= ctx.versions.current)
    await checkWritableData(ctx.schema, fields.data, ctx.maxDataBytes)
  const now = ctx.clock()
  const issued = options.token ?? ctx.codec.issue(fields.userId)
  const record: SessionRecord = {
    // New data is at this deploy's data version; `fields` may keep the version of the data it carries.
    ...dataVersionField(ctx.versions.current),
    ...fields,
    id: issued.id,
    data: cloneData(fields.data),
    lastSeenAt: now,
    version: 1,
    ...ctx.mode.stamp(now),
    ...ipField(client),
    ...(client.userAgent !== undefined && {
      userAgent: client.userAgent.slice(0, MAX_USER_AGENT_LENGTH),
    }),
  }
  const { previous } = options
  const created = await ctx.mode.create(record, {
    ttl: ctx.ttlFor(record, now),
    ...(previous && { replaces: previous }),
    ...(previous !== undefined &&
      ctx.maxSessionsPerUser !== undefined && { maxPerUser: ctx.maxSessionsPerUser }),
  })
  emitEvicted(ctx, created, fields.userId)
  if (!previous) ctx.events.emit({ type: 'session.created', id: record.id, userId: record.userId })
  return { record, cookieValue: issued.cookieValue }
}

/** @internal After login or regenerate adopted `record`: the id it replaced stops working, and the rotation is reported. */
export async function retireRecord(
  { ctx }: Writer,
  previous: SessionRecord,
  record: SessionRecord,
  reason: 'login' | 'regenerate',
): Promise<void> {
  await ctx.mode.retire(previous, ctx.clock())
  ctx.events.emit({
    type: 'session.regenerated',
    id: record.id,
    previousId: previous.id,
    userId: record.userId,
    reason,
  })
}

/**
 * @internal
 * Ends `record` (logout, destroy) with `session.destroyed`.
 * @throws STORE_UNAVAILABLE when the store fails, after `session.end_failed` (the caller still clears the cookie).
 */
export async function endRecord(
  { ctx, client }: Writer,
  record: SessionRecord,
  reason: 'destroy' | 'logout',
): Promise<void> {
  const { id, userId } = record
  try {
    await ctx.mode.end(record, ctx.clock())
  } catch (err) {
    // The record lives until its idle timeout, but this browser's cookie is cleared anyway.
    ctx.events.emit({ type: 'session.end_failed', id, userId, reason, ...ipField(client) })
    throw err
  }
  ctx.events.emit({ type: 'session.destroyed', id, userId, reason })
}

/**
 * @internal
 * Writes a request's changed keys (`changes`) of `record`, touching it. Changed data is stamped with this deploy's
 * data version: a store refuses that (a `conflict`) over data of another version (see `dataVersionRefused`).
 */
export function writeChanges(
  { ctx }: Writer,
  record: SessionRecord,
  changes: Pick<SessionPatch, 'set' | 'unset'>,
  now: number,
): Promise<WriteResult> {
  const { set, unset } = changes
  const ttl = touchTtl(ctx, record, now)
  // Built once: this is every write's patch.
  const patch: SessionPatch =
    unset.length > 0 || hasKeys(set)
      ? { set, unset, lastSeenAt: now, ttl, dataVersion: ctx.versions.current }
      : { set, unset, lastSeenAt: now, ttl }
  return ctx.mode.patch(record, patch)
}

function hasKeys(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true
  return false
}

/**
 * @internal
 * One `update()` round: `fn` gets the latest stored data, upgraded to this deploy's data version (`migrate`), with
 * this request's pending sets and deletes on top; the result is checked like any write and written as a diff of the
 * stored data at this deploy's data version (so the diff stores the upgrade too).
 * @throws SESSION_CONFLICT when a newer deploy wrote the stored data (see `upgradeData`).
 */
export function updateRound<D extends SessionData>(
  { ctx }: Writer,
  tracked: Pick<TrackedData<D>, 'pending' | 'patch'>,
  fn: (draft: Partial<D>) => Partial<D> | void,
): UpdateRound {
  return async (latest) => {
    const base = latest.data as Partial<D>
    const upgraded = (await upgradeData(ctx.versions, latest)) as Partial<D>
    const draft = cloneData({ ...upgraded, ...tracked.pending() }) as Partial<D>
    for (const key of tracked.patch().unset) delete draft[key]
    const data = fn(draft) ?? draft
    await checkWritableData(ctx.schema, data, ctx.maxDataBytes)
    const { set, unset } = diffData(base, data)
    const now = ctx.clock()
    const ttl = touchTtl(ctx, latest, now)
    return { data, patch: { set, unset, lastSeenAt: now, ttl, dataVersion: ctx.versions.current } }
  }
}

/** @internal `session.data_migrated`: `record` now stores the data this request upgraded from version `from`. */
export function migrated({ ctx }: Writer, record: SessionRecord, from: number): void {
  const { id, userId } = record
  ctx.events.emit({ type: 'session.data_migrated', id, userId, from, to: ctx.versions.current })
}

/** @internal The draft as it is: an `update()` round that stores only an upgrade and the request's own changes. */
export function asIs<T>(draft: T): T {
  return draft
}

/** `session.revoked` (reason `evicted`) for every signed-in session the store ended to admit a new one. */
function emitEvicted(ctx: Writer['ctx'], created: CreateResult, userId: string | null): void {
  const own = userId === null ? [] : created.evicted.map((id) => ({ id, userId }))
  for (const { id, userId: owner } of [...own, ...(created.displaced ?? [])]) {
    ctx.events.emit({ type: 'session.revoked', id, userId: owner, reason: 'evicted' })
  }
}

/**
 * The TTL of a write, which touches (lastSeenAt: now): it is the user's activity, and costs no extra write. A TTL
 * counted from the lastSeenAt this request loaded would be short if another request touched the session since (an
 * upload loaded at T0+30 s and written at T0+598 s would send 2 s), and the record (sealed cookie, cache snapshot)
 * would carry the old time.
 */
function touchTtl(ctx: Writer['ctx'], record: SessionRecord, now: number): number {
  return ctx.ttlFor(record, now, now)
}
