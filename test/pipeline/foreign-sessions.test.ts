// Every front door refuses, when it is installed, a `sessions` that is not this copy's manager: CONFIG_INVALID saying why.
import { describe, expect, it, vi } from 'vitest'
import { session as expressSession } from '../../src/adapters/express.ts'
import { session as fastifySession } from '../../src/adapters/fastify.ts'
import { withSession as fetchWithSession } from '../../src/adapters/fetch.ts'
import { session as honoSession } from '../../src/adapters/hono.ts'
import { withSession as nodeWithSession } from '../../src/adapters/node.ts'
import type { Sessions } from '../../src/core/manager.ts'
import { isHallpassError } from '../../src/errors.ts'
import { sessionMiddleware } from '../../src/integrations/astro.ts'
import { nextSessions } from '../../src/integrations/next.ts'
import { handleSession } from '../../src/integrations/sveltekit.ts'
import { tanstackSessions } from '../../src/integrations/tanstack-start.ts'
import { createCsrf } from '../../src/csrf/index.ts'

vi.mock('server-only', () => ({}))
vi.mock('@tanstack/react-start/server-only', () => ({}))

/** Each door as an app installs it. */
const doors: Record<string, (sessions: Sessions) => unknown> = {
  'hallpass/express': (s) => expressSession(s),
  'hallpass/hono': (s) => honoSession(s),
  'hallpass/fastify': (s) => fastifySession(s),
  'hallpass/node': (s) => nodeWithSession(s, () => ({ body: '' })),
  'hallpass/fetch': (s) => fetchWithSession(s, () => new Response('')),
  'hallpass/astro': (s) => sessionMiddleware(s),
  'hallpass/sveltekit': (s) => handleSession(s),
  'hallpass/tanstack-start': (s) => tanstackSessions(s),
  'hallpass/next': (s) => nextSessions(s),
}

/** The manager a second copy of hallpass makes: the same code, loaded again (as a bundler that bundled it twice). */
async function managerFromAnotherCopy(): Promise<Sessions> {
  vi.resetModules()
  const copy = await import('../../src/core/manager.ts')
  vi.resetModules()
  return copy.createSessions({ secret: 'foreign-sessions-test-secret-0123456789abcdef' })
}

function configMessage(install: () => unknown): string {
  try {
    install()
  } catch (err) {
    if (isHallpassError(err, 'CONFIG_INVALID')) return err.message
    throw err
  }
  throw new Error('expected CONFIG_INVALID')
}

describe('a sessions value that is not a manager of this copy of hallpass', () => {
  for (const [name, install] of Object.entries(doors)) {
    it(`${name}: a manager from a second copy of hallpass is CONFIG_INVALID naming two copies`, async () => {
      const foreign = await managerFromAnotherCopy()
      expect(configMessage(() => install(foreign))).toMatch(/two copies are loaded/)
    })

    it(`${name}: an empty object is CONFIG_INVALID naming createSessions()`, () => {
      expect(configMessage(() => install({} as Sessions))).toMatch(
        /needs the manager that createSessions\(\) returns \(got an empty object\)/,
      )
    })
  }

  it('createCsrf() refuses one the same way', async () => {
    const foreign = await managerFromAnotherCopy()
    expect(configMessage(() => createCsrf(foreign))).toMatch(/two copies are loaded/)
  })
})
