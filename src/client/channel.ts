// Cross-tab messages over BroadcastChannel, validated on receipt; a silent no-op where BroadcastChannel is missing.
import { parseSessionInfo } from './status.ts'
import type { ClientSessionInfo } from './types.ts'

/** What one tab tells the others. Never a token: the session part is the public id and deadlines. */
export type TabMessage<U> =
  | { readonly type: 'ended' }
  | { readonly type: 'signed-in'; readonly user: U; readonly session: ClientSessionInfo }

/** A tab channel: post to the other tabs, close. */
export interface TabChannel<U> {
  post(message: TabMessage<U>): void
  close(): void
}

const VERSION = 1
const NOOP_CHANNEL: TabChannel<never> = { post() {}, close() {} }

/** Opens the named channel; `false`, or a browser without BroadcastChannel, gives a channel that does nothing. */
export function openTabChannel<U>(
  name: string | false,
  onMessage: (message: TabMessage<U>) => void,
): TabChannel<U> {
  const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel
  if (name === false || typeof Channel !== 'function') return NOOP_CHANNEL
  let channel: BroadcastChannel
  try {
    channel = new Channel(name)
  } catch {
    return NOOP_CHANNEL // e.g. opaque origins, where some browsers refuse to open one
  }
  channel.onmessage = (event: MessageEvent<unknown>) => {
    const message = readMessage<U>(event.data)
    if (message) onMessage(message)
  }
  return {
    post(message) {
      try {
        channel.postMessage({ v: VERSION, ...message })
      } catch {
        // a user object that cannot be cloned: the other tabs still catch up on their next focus
      }
    },
    close() {
      channel.onmessage = null
      channel.close()
    },
  }
}

function readMessage<U>(data: unknown): TabMessage<U> | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const raw = data as Record<string, unknown>
  if (raw['v'] !== VERSION) return undefined
  if (raw['type'] === 'ended') return { type: 'ended' }
  if (raw['type'] === 'signed-in') {
    const session = parseSessionInfo(raw['session'])
    return session ? { type: 'signed-in', user: (raw['user'] ?? null) as U, session } : undefined
  }
  return undefined
}
