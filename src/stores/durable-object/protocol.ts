// What the store and its Durable Object say to each other: one POST per call, JSON arguments in, a JSON envelope out.
import { HallpassError, type HallpassErrorCode } from '../../errors.ts'
import { parseJsonSafe, stringifyJsonSafe } from '../../json.ts'

/** The calls the Durable Object answers, one per Store method it serves. */
export const OPERATIONS = [
  'get',
  'create',
  'patch',
  'destroy',
  'listByUser',
  'revoke',
  'ping',
] as const
export type Operation = (typeof OPERATIONS)[number]

/** The codes a store call throws on purpose (bad arguments, bad data, store trouble); any other is store trouble. */
const STORE_CODES: readonly HallpassErrorCode[] = [
  'INVALID_ARGUMENT',
  'SESSION_DATA_INVALID',
  'STORE_UNAVAILABLE',
  'CONFIG_INVALID',
]

/** The reply body: the method's value, or the HallpassError it threw. */
export type Envelope =
  | { readonly value: unknown }
  | { readonly error: { readonly code: HallpassErrorCode; readonly message: string } }

/** The URL of a call (the host is never resolved: a stub's fetch goes to its object). */
export function operationUrl(op: Operation): string {
  return `https://hallpass-sessions.internal/${op}`
}

/** The operation a request names, or undefined. */
export function operationOf(url: string): Operation | undefined {
  const name = new URL(url).pathname.slice(1)
  return (OPERATIONS as readonly string[]).includes(name) ? (name as Operation) : undefined
}

/** The request body for a call's arguments; SESSION_DATA_INVALID for data JSON cannot carry (as every store). */
export function encodeArguments(args: readonly unknown[]): string {
  return stringifyJsonSafe(args) ?? '[]'
}

/** The arguments of a call, or undefined when the body is not a JSON array. */
export function decodeArguments(text: string): unknown[] | undefined {
  const args = parseJsonSafe(text)
  return Array.isArray(args) ? args : undefined
}

/** A reply for a thrown error: a HallpassError keeps its code; anything else is the store being unavailable. */
export function errorEnvelope(err: unknown): Envelope {
  if (err instanceof HallpassError) return { error: { code: err.code, message: err.message } }
  return {
    error: { code: 'STORE_UNAVAILABLE', message: 'the Durable Object session store failed' },
  }
}

/** The value of a reply, throwing its error as a HallpassError; an unreadable reply is STORE_UNAVAILABLE. */
export function openEnvelope(text: string): unknown {
  const body = parseJsonSafe(text) as Partial<{ value: unknown; error: Envelope }> | undefined
  if (typeof body === 'object' && body !== null) {
    if ('value' in body) return body.value
    const error = body.error as { code?: unknown; message?: unknown } | undefined
    const code = STORE_CODES.find((known) => known === error?.code)
    if (code !== undefined && typeof error?.message === 'string')
      throw new HallpassError(code, error.message)
  }
  throw new HallpassError(
    'STORE_UNAVAILABLE',
    'the Durable Object session store sent an unreadable reply',
  )
}
