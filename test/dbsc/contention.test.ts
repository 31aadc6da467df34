// A device's refresh that loses every compare-and-swap round to other writers of its session is a conflict to retry
// (409 SESSION_CONFLICT), not a replayed challenge: the device did nothing wrong. Real HTTP, a real store.
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/stores/memory.ts'
import type { Store } from '../../src/stores/types.ts'
import { proof } from './agent.ts'
import { reasons, start } from './app.ts'

/**
 * The memory store, with another process writing the session between each read and write of it while `busy` is on:
 * every read is followed by a real patch of that record (the other process's touch), so the version always moved.
 */
function contended() {
  const inner = memoryStore()
  const state = { busy: false }
  const store: Store = {
    ...inner,
    kind: inner.kind,
    get: async (id) => {
      const record = await inner.get(id)
      if (state.busy && record && record !== 'corrupt')
        await inner.patch(id, { set: { other: record.version }, unset: [], ttl: 60_000 })
      return record
    },
    create: (record, options) => inner.create(record, options),
    patch: (id, patch) => inner.patch(id, patch),
    destroy: (id) => inner.destroy(id),
    listByUser: (userId) => inner.listByUser(userId),
    revoke: (userId, options) => inner.revoke(userId, options),
  }
  return { store, state }
}

describe('device-bound refresh under contention', () => {
  it('losing every compare-and-swap round answers 409 SESSION_CONFLICT, not challenge_replayed; the next refresh works', async () => {
    const { store, state } = contended()
    const t = await start({ store })
    const browser = t.agent()
    await browser.request('POST', '/login')
    await browser.refreshOnce(browser.bound!) // get a challenge
    const jwt = await proof(browser.key!, { jti: browser.bound!.challenge })
    const id = browser.bound!.id
    state.busy = true
    const refused = await browser.send('POST', '/dbsc/refresh', {
      'sec-secure-session-id': `"${id}"`,
      'secure-session-response': `"${jwt}"`,
    })
    state.busy = false
    expect(refused.status).toBe(409)
    expect(refused.json.error.code).toBe('SESSION_CONFLICT')
    expect(reasons(t.events)).not.toContain('challenge_replayed')
    // The challenge was never spent: the same proof goes through once the session is quiet.
    const retried = await browser.send('POST', '/dbsc/refresh', {
      'sec-secure-session-id': `"${id}"`,
      'secure-session-response': `"${jwt}"`,
    })
    expect(retried.status).toBe(200)
  })
})
