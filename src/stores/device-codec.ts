// Encodes a session's device binding (DBSC public key) for stores, and decodes it strictly from untrusted text.
import { isPlainObject, parseJsonSafe } from '../json.ts'
import type { DeviceBinding, PendingReissue } from './types.ts'

/** Longest encoded binding a store keeps (an RSA-4096 JWK is about 1 KiB; a pending re-issue's lists get the rest). */
export const MAX_DEVICE_BYTES = 4096
const JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'n', 'e'])
const BINDING_MEMBERS = new Set(['id', 'alg', 'jwk', 'boundAt', 'usedAt', 'pending'])
const PENDING_MEMBERS = new Set(['at', 'roles', 'permissions'])
const BINDING_ID = /^[A-Za-z0-9_-]{16,64}$/

/** JSON text for a binding: only its known members, so nothing else reaches a store. */
export function encodeDevice(device: DeviceBinding): string {
  const { id, alg, jwk, boundAt, usedAt, pending } = device
  return JSON.stringify({
    id,
    alg,
    jwk,
    boundAt,
    usedAt,
    ...(pending && { pending: copyPending(pending) }),
  })
}

/** The binding stored as `text`, or undefined when it is not exactly one (unknown members, private key parts, bad types). */
export function decodeDevice(text: unknown): DeviceBinding | undefined {
  if (typeof text !== 'string' || text.length > MAX_DEVICE_BYTES) return undefined
  const value = parseJsonSafe(text)
  if (!isDeviceBinding(value)) return undefined
  const { id, alg, jwk, boundAt, usedAt, pending } = value
  return {
    id,
    alg,
    jwk: { ...jwk },
    boundAt,
    usedAt,
    ...(pending && { pending: copyPending(pending) }),
  }
}

/** True for a well-formed binding holding only a public key (and, optionally, a pending re-issue). */
export function isDeviceBinding(value: unknown): value is DeviceBinding {
  if (!isPlainObject(value)) return false
  const { id, alg, jwk, boundAt, usedAt, pending } = value as Record<string, unknown>
  if (Object.keys(value).some((key) => !BINDING_MEMBERS.has(key))) return false
  if (typeof id !== 'string' || !BINDING_ID.test(id) || (alg !== 'ES256' && alg !== 'RS256'))
    return false
  if (!Number.isSafeInteger(boundAt) || !Number.isSafeInteger(usedAt)) return false
  if (pending !== undefined && !isPendingReissue(pending)) return false
  if (!isPlainObject(jwk)) return false
  return Object.entries(jwk).every(
    ([key, member]) => JWK_MEMBERS.has(key) && typeof member === 'string' && member.length <= 1024,
  )
}

function isPendingReissue(value: unknown): value is PendingReissue {
  if (!isPlainObject(value) || Object.keys(value).some((key) => !PENDING_MEMBERS.has(key)))
    return false
  const { at, roles, permissions } = value as Record<string, unknown>
  return (
    Number.isSafeInteger(at) &&
    (at as number) >= 0 &&
    isStringList(roles) &&
    isStringList(permissions)
  )
}

/** An absent list or an array of strings; the limits `login()` sets are checked with the record's (`recordProblem`). */
function isStringList(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.every((v) => typeof v === 'string'))
}

function copyPending({ at, roles, permissions }: PendingReissue): PendingReissue {
  return {
    at,
    ...(roles && { roles: [...roles] }),
    ...(permissions && { permissions: [...permissions] }),
  }
}

/** `target` with a private copy of `device` (or without one), so callers never share a stored object. */
export function copyDevice<T extends object>(
  target: T,
  device: DeviceBinding | undefined,
): T & { device?: DeviceBinding } {
  const copy = device === undefined ? undefined : decodeDevice(encodeDevice(device))
  return copy === undefined ? target : { ...target, device: copy }
}
