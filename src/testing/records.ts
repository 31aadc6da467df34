// Records, ids and reads shared by the Store contract cases (`hallpass/testing`).
import { userTag } from '../crypto/token.ts'
import type { SessionRecord, Store } from '../stores/types.ts'

/** What a test store factory returns. */
export interface StoreUnderTest {
  readonly store: Store
  /** Moves the store's clock forward; omit to let TTL tests wait in real time (they use short TTLs). */
  readonly advance?: (ms: number) => void | Promise<void>
  /** Called after each test. */
  readonly cleanup?: () => void | Promise<void>
}

/** Registers one contract case: a fresh store from the factory, cleaned up afterwards. */
export type ContractCase = (
  title: string,
  body: (t: StoreUnderTest) => Promise<void>,
  timeout?: number,
) => void

export const HOUR = 3_600_000

let counter = 0
/** A unique, well-formed session id for tests (26 characters like real ids). */
export function testId(tag = 'test'): string {
  counter += 1
  return `${tag.slice(0, 4).padEnd(4, 'x')}${String(counter).padStart(8, '0')}${Math.random().toString(36).slice(2, 16).padEnd(14, '0')}`.replace(
    /[^A-Za-z0-9_-]/g,
    'x',
  )
}

/** A well-formed record for tests; a signed-in record's id carries its user's routing tag, as real ids do. */
export function testRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now()
  return {
    id: testId(overrides.userId ? userTag(overrides.userId) : 'test'),
    userId: null,
    data: {},
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + 3_600_000,
    persistent: false,
    version: 1,
    ...overrides,
  }
}

/** `store.get`, failing the test on a 'corrupt' answer (the suite only writes good records). */
export async function read(store: Store, id: string): Promise<SessionRecord | null> {
  const record = await store.get(id)
  if (record === 'corrupt')
    throw new Error(`store reported a record it wrote itself as corrupt: ${id}`)
  return record
}

/** Moves the store's clock by `ms`, or waits that long in real time when the store has no clock to move. */
export async function elapse(t: StoreUnderTest, ms: number): Promise<void> {
  if (t.advance) await t.advance(ms)
  else await new Promise((resolve) => setTimeout(resolve, ms))
}
