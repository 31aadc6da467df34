// regenerate() on a device-bound session: the binding's compare-and-swap, and the re-issue that waits for the device.
import type { DeviceBoundRejectReason } from '../core/events.ts'
import type { Internals, Privileges, ReissuePlan } from '../core/internals.ts'
import type { DeviceBinding, SessionData, SessionRecord } from '../core/types.ts'
import { HallpassError } from '../errors.ts'
import { compareAndSwap, LOST } from '../core/compare-and-swap.ts'
import { failClosed } from '../fail-closed.ts'
import { encodeDevice, MAX_DEVICE_BYTES } from '../stores/device-codec.ts'

const CAS_ATTEMPTS = 8

/** What a binding swap ended with: written, or why not. */
export type SwapOutcome = 'ok' | DeviceBoundRejectReason

/**
 * Compare-and-swap on the record's device binding: `next` sees the stored record and returns the new binding or
 * a reason to stop. Retried while other requests of the session bump its version.
 * @throws SESSION_CONFLICT when other requests won every round (nothing was written; the caller may retry).
 */
export async function swapBinding(
  ctx: Internals<SessionData>,
  id: string,
  next: (record: SessionRecord) => DeviceBinding | DeviceBoundRejectReason,
  what = 'the device binding',
): Promise<SwapOutcome> {
  return compareAndSwap({ attempts: CAS_ATTEMPTS, what }, async () => {
    const record = await failClosed(ctx.store.get(id))
    if (!record || record === 'corrupt') return 'no_session'
    const device = next(record)
    if (typeof device === 'string') return device
    const result = await failClosed(
      ctx.store.patch(id, {
        set: {},
        unset: [],
        ttl: ctx.ttlFor(record, ctx.clock()),
        expectVersion: record.version,
        device,
      }),
    )
    if (result === 'conflict') return LOST
    return result === 'ok' ? 'ok' : 'no_session'
  })
}

/**
 * Records a re-issue on the binding instead of issuing the new id to this request, which may come from a copied
 * cookie jar: from `at` (now, or an earlier pending re-issue's time) every bound cookie issued before is refused,
 * and the device's next refresh issues the new id with `changes` (merged over a pending re-issue's). The request
 * goes on with the same id and the record as it will be.
 * @throws INVALID_ARGUMENT when the roles and permissions do not fit on the binding (MAX_DEVICE_BYTES with the key).
 * @throws SESSION_GONE when the session was rotated or ended meanwhile.
 * @throws SESSION_CONFLICT when other requests kept winning.
 */
export async function stageReissue(
  ctx: Internals<SessionData>,
  record: SessionRecord,
  binding: DeviceBinding,
  changes: Privileges,
): Promise<ReissuePlan> {
  const now = ctx.clock()
  const withPending = (current: DeviceBinding): DeviceBinding => {
    const roles = changes.roles ?? current.pending?.roles
    const permissions = changes.permissions ?? current.pending?.permissions
    return {
      ...current,
      pending: {
        at: current.pending?.at ?? now,
        ...(roles && { roles }),
        ...(permissions && { permissions }),
      },
    }
  }
  let staged = withPending(binding)
  if (Buffer.byteLength(encodeDevice(staged)) > MAX_DEVICE_BYTES) {
    throw new HallpassError(
      'INVALID_ARGUMENT',
      'regenerate() on a device-bound session keeps its roles and permissions with the device key until the device ' +
        `refreshes; together they must fit in ${MAX_DEVICE_BYTES} bytes`,
    )
  }
  const outcome = await swapBinding(
    ctx,
    record.id,
    (fresh) =>
      fresh.device?.id === binding.id ? (staged = withPending(fresh.device)) : 'not_bound',
    'regenerate() on the device binding',
  )
  if (outcome !== 'ok')
    throw new HallpassError(
      'SESSION_GONE',
      'the session was ended or rotated by another request while this request ran',
    )
  const { roles, permissions } = staged.pending ?? {}
  return {
    stage: {
      ...record,
      ...(roles && { roles }),
      ...(permissions && { permissions }),
      device: staged,
    },
  }
}
