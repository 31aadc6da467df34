// Key rotation across restarts: a key is named by a hash of itself, so dropping the previous secret keeps current cookies; older cookies are re-signed.
import { describe, expect, it } from 'vitest'
import { createSessions, type SecretOption } from '../../src/index.ts'
import { sealedCookies } from '../../src/sealed/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import type { Store } from '../../src/stores/types.ts'
import { countingStore } from '../support/counting-store.ts'
import { cookiePair } from '../support/sessions.ts'

const A = 'rotation-secret-A-0123456789-abcdefghijklmnop'
const B = 'rotation-secret-B-9876543210-qrstuvwxyzABCDEF'
const kid = (pair: string): string => (pair.split('=')[1] as string).split('.')[0] as string

/** One "process" of the app: a manager on the shared store with the given secrets. */
const boot = (secret: SecretOption, store: Store) =>
  createSessions({ secret, store, cookie: { secure: false } })

describe('key rotation across restarts', () => {
  for (const [form, during, after] of [
    ['a list, newest first', [B, A], B],
    ['numbered secrets', { 2: B, 1: A }, { 2: B }],
    ['numbered secrets, renumbered at the end', { 2: B, 1: A }, B],
  ] as Array<[string, SecretOption, SecretOption]>) {
    it(`${form}: old cookies verify and are re-signed during the rotation; dropping the old secret keeps every current cookie`, async () => {
      const counted = countingStore(memoryStore())
      const first = boot(A, counted.store)
      const login = await first.load()
      await login.login('alice', { rememberMe: true })
      const old = cookiePair((await login.commit()).cookies[0])
      const id = login.id

      const rotating = boot(during, counted.store)
      const writes = counted.calls.create + counted.calls.patch
      const carried = await rotating.load({ cookie: old })
      expect(carried.userId).toBe('alice')
      const [resent] = (await carried.commit()).cookies
      expect(counted.calls.create + counted.calls.patch).toBe(writes) // same token, no store write
      expect(resent).toMatch(/Max-Age=\d+/) // a remember-me cookie keeps its lifetime
      const renewed = cookiePair(resent)
      expect(kid(renewed)).not.toBe(kid(old))
      expect((await rotating.load({ cookie: renewed })).id).toBe(id)
      expect((await (await rotating.load({ cookie: renewed })).commit()).cookies).toEqual([]) // already current: nothing re-sent

      const retired = boot(after, counted.store)
      expect((await retired.load({ cookie: renewed })).userId).toBe('alice')
      const stale = await retired.load({ cookie: old })
      expect(stale.userId).toBeNull()
      expect((await stale.commit()).cookies[0]).toMatch(/Max-Age=0/)
    })
  }

  it('a cookie with a numbered key id (the scheme before key ids were hashes, never released) is anonymous', async () => {
    const store = memoryStore()
    const first = boot(A, store)
    const login = await first.load()
    await login.login('alice')
    const current = cookiePair((await login.commit()).cookies[0])
    const numbered = current.replace(`=${kid(current)}.`, '=1.') // same token and MAC, position-based key id
    for (const secret of [A, [B, A], B]) {
      expect((await boot(secret, store).load({ cookie: numbered })).userId).toBeNull()
    }
    expect((await boot([B, A], store).load({ cookie: current })).userId).toBe('alice')
  })

  it('sealed cookies are re-sealed under the newest key on the next response', async () => {
    const first = createSessions({ secret: A, store: sealedCookies(), cookie: { secure: false } })
    const login = await first.load()
    await login.login('alice')
    const old = cookiePair((await login.commit()).cookies[0])
    const rotating = createSessions({
      secret: [B, A],
      store: sealedCookies(),
      cookie: { secure: false },
    })
    const carried = await rotating.load({ cookie: old })
    expect(carried.userId).toBe('alice')
    const renewed = cookiePair((await carried.commit()).cookies[0])
    expect(kid(renewed)).not.toBe(kid(old))
    const retired = createSessions({ secret: B, store: sealedCookies(), cookie: { secure: false } })
    expect((await retired.load({ cookie: renewed })).userId).toBe('alice')
    expect((await retired.load({ cookie: old })).userId).toBeNull()
  })

  it('refuses two secrets whose key ids would collide only if they differ; a repeated secret is fine', () => {
    expect(() => boot([A, A], memoryStore())).not.toThrow()
    expect(() => boot([], memoryStore())).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
    expect(() => boot(['short'], memoryStore())).toThrow(/secret\[0\]/)
  })
})
