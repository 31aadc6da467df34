// The test page's script: creates one hallpass/client store from the query string and records what it does.
import {
  createSessionClient,
  type SessionClient,
  type SessionSnapshot,
} from '../../src/client/index.ts'

/** What the page records for the test to read. */
export interface PageLog {
  /** Every snapshot the store published, in order, starting with the first one. */
  snapshots: SessionSnapshot[]
  /** Every onExpiring call: seconds left, and when (browser clock). */
  expiring: Array<{ secondsLeft: number; at: number }>
  /** The init of every request the client made. */
  fetches: Array<{
    url: string
    method: string | undefined
    credentials: string | undefined
    cache: string | undefined
  }>
  changes: number
}

declare global {
  interface Window {
    hp?: { client: SessionClient; log: PageLog }
    __traps: { cookieReads: number; storageCalls: number }
    __rawCookie: () => string
  }
}

const params = new URLSearchParams(location.search)
const log: PageLog = { snapshots: [], expiring: [], fetches: [], changes: 0 }
const client = createSessionClient({
  statusUrl: params.get('status') ?? '/api/session',
  expiringSeconds: Number(params.get('expiring') ?? '60'),
  debounceMs: 50,
  onExpiring: (secondsLeft) => log.expiring.push({ secondsLeft, at: Date.now() }),
  onChange: () => void (log.changes += 1),
  fetch: (input, init) => {
    log.fetches.push({
      url: String(input),
      method: init?.method,
      credentials: init?.credentials,
      cache: init?.cache,
    })
    return fetch(input, init)
  },
})
log.snapshots.push(client.getSnapshot())
client.subscribe(() => log.snapshots.push(client.getSnapshot()))
window.hp = { client, log }
