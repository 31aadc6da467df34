// hallpass/dbsc: device-bound sessions (W3C DBSC): the per-route guard, the reply and option types, and the header names.
import type { Guard, Principal } from '../guards/access.ts'
import { Session } from '../core/session.ts'
import { passesDeviceCheck } from './device-bound.ts'
import { provideJose } from './proof.ts'

// Importing this module is what puts jose into a bundle (the manager alone loads it at run time).
provideJose(() => import('jose'))

export type { DeviceBoundOptions, DeviceKeyAlgorithm } from './options.ts'
export type { DbscReply } from './replies.ts'
export type {
  DbscRequest,
  BoundState,
  DeviceBoundServer,
  DbscResponseExtras,
} from './device-bound.ts'
export type { DeviceBinding } from '../core/types.ts'
export type { DeviceBoundRejectReason } from '../core/events.ts'
export { HEADERS as DBSC_HEADERS } from './headers.ts'

/**
 * A guard for `deviceBound: { enforce: 'route' }`: 401 when nobody is signed in, or when the session
 * registered a device key and this request lacks a live bound cookie (a DBSC browser refreshes it and
 * retries on its own). A session that never registered a key (a browser without DBSC) passes. It decides
 * about sessions a hallpass front door loaded with `deviceBound` on: anything else (another kind of
 * principal, a session the DBSC step never saw) gets a 401.
 *
 * @example
 * ```ts
 * import { guard } from 'hallpass/express'
 * import { requireBoundDevice } from 'hallpass/dbsc'
 * app.post('/transfer', guard(requireBoundDevice()), transfer)
 * ```
 */
export function requireBoundDevice(): Guard {
  return (principal: Principal) => {
    if (principal.userId === null || !(principal instanceof Session)) return 'unauthenticated'
    return passesDeviceCheck(principal) ? 'allow' : 'unauthenticated'
  }
}
