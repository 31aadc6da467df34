// Encodes a session's device binding (DBSC public key) for stores, and decodes it strictly from untrusted text.
import { isPlainObject, parseJsonSafe } from '../json.ts'
import type { DeviceBinding } from './types.ts'

/** Longest encoded binding a store keeps (an RSA-4096 JWK is about 1 KiB). */
export const MAX_DEVICE_BYTES = 4096
const JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'n', 'e'])
const BINDING_ID = /^[A-Za-z0-9_-]{16,64}$/

/** JSON text for a binding: only its known members, so nothing else reaches a store. */
export function encodeDevice(device: DeviceBinding): string {
  return JSON.stringify({ id: device.id, alg: device.alg, jwk: device.jwk, boundAt: device.boundAt, usedAt: device.usedAt })
}

/** The binding stored as `text`, or undefined when it is not exactly one (unknown members, private key parts, bad types). */
export function decodeDevice(text: unknown): DeviceBinding | undefined {
  if (typeof text !== 'string' || text.length > MAX_DEVICE_BYTES) return undefined
  const value = parseJsonSafe(text)
  return isDeviceBinding(value) ? { id: value.id, alg: value.alg, jwk: { ...value.jwk }, boundAt: value.boundAt, usedAt: value.usedAt } : undefined
}

/** True for a well-formed binding holding only a public key. */
export function isDeviceBinding(value: unknown): value is DeviceBinding {
  if (!isPlainObject(value)) return false
  const { id, alg, jwk, boundAt, usedAt } = value as Record<string, unknown>
  if (Object.keys(value).some((key) => !['id', 'alg', 'jwk', 'boundAt', 'usedAt'].includes(key))) return false
  if (typeof id !== 'string' || !BINDING_ID.test(id) || (alg !== 'ES256' && alg !== 'RS256')) return false
  if (!Number.isSafeInteger(boundAt) || !Number.isSafeInteger(usedAt)) return false
  if (!isPlainObject(jwk)) return false
  return Object.entries(jwk).every(([key, member]) => JWK_MEMBERS.has(key) && typeof member === 'string' && member.length <= 1024)
}

/** `target` with a private copy of `device` (or without one), so callers never share a stored object. */
export function copyDevice<T extends object>(target: T, device: DeviceBinding | undefined): T & { device?: DeviceBinding } {
  const copy = device === undefined ? undefined : decodeDevice(encodeDevice(device))
  return copy === undefined ? target : { ...target, device: copy }
}
