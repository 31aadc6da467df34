// The default memory store is one per process and secret, even when the module that creates the manager is loaded twice.
import { describe, expect, it, vi } from 'vitest'
import { createSessions } from '../../src/index.ts'

const SECRET = 'default-store-test-secret-0123456789-abcdef'

/** A second, separate copy of the core (as a framework's second bundle would load it). */
async function secondCopy(): Promise<typeof import('../../src/index.ts')> {
  vi.resetModules()
  return import('../../src/index.ts')
}

describe('default memory store', () => {
  it('is shared by two copies of the library with the same secret: a login in one is seen by the other', async () => {
    const copy = await secondCopy()
    expect(copy.createSessions).not.toBe(createSessions) // really two module instances
    const app = createSessions({ secret: SECRET, cookie: { secure: false } })
    const proxy = copy.createSessions({ secret: SECRET, cookie: { secure: false } })
    expect(proxy.store).toBe(app.store)
    const session = await app.load({})
    await session.login('u1')
    const cookie = (await session.commit()).cookies[0]!.split(';')[0]!
    const seen = await proxy.load({ cookie })
    expect(seen.userId).toBe('u1')
  })

  it('is not shared between managers with different secrets, nor with an injected clock', async () => {
    const one = createSessions({ secret: SECRET })
    expect(createSessions({ secret: `${SECRET}-other` }).store).not.toBe(one.store)
    expect(createSessions({ secret: SECRET, clock: () => Date.now() }).store).not.toBe(one.store)
  })
})
