// The framework integrations refuse deviceBound at setup (CONFIG_INVALID), since they do not run the bound-cookie check.
import { describe, expect, it, vi } from 'vitest'
import { createSessions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { sessionMiddleware } from '../../src/integrations/astro.ts'
import { handleSession } from '../../src/integrations/sveltekit.ts'
import { tanstackSessions } from '../../src/integrations/tanstack-start.ts'
import { nextSessions } from '../../src/integrations/next.ts'

// `server-only` only throws when imported outside a React Server bundle; the setup call under test needs no bundle.
vi.mock('server-only', () => ({}))

const SECRET = 'device-bound-refused-secret-0123456789-abc'
const bound = () =>
  createSessions({
    secret: SECRET,
    store: memoryStore(),
    cookie: { secure: false },
    deviceBound: true,
  })
const plain = () =>
  createSessions({ secret: SECRET, store: memoryStore(), cookie: { secure: false } })

describe('integrations with deviceBound', () => {
  const setups: Record<string, (sessions: ReturnType<typeof plain>) => unknown> = {
    'hallpass/astro': (sessions) => sessionMiddleware(sessions),
    'hallpass/sveltekit': (sessions) => handleSession(sessions),
    'hallpass/tanstack-start': (sessions) => tanstackSessions(sessions),
    'hallpass/next': (sessions) => nextSessions(sessions),
  }
  for (const [name, setup] of Object.entries(setups)) {
    it(`${name} refuses it at setup with CONFIG_INVALID naming the fix, and sets up without it`, () => {
      expect(() => setup(bound())).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining(`${name} does not support deviceBound`),
        }),
      )
      expect(setup(plain())).toBeTruthy()
    })
  }
})
