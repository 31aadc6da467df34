// Every front door refuses, when it is installed, a `sessions` that is not this copy's manager and options it does not
// take: CONFIG_INVALID saying why, never a TypeError later or a typo silently ignored.
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
import { createSessions } from '../../src/core/manager.ts'

vi.mock('server-only', () => ({}))
vi.mock('@tanstack/react-start/server-only', () => ({}))

/** Options as an app might pass them, typos included: the types would catch these, plain JavaScript would not. */
type AnyOptions = Record<string, unknown>

/** Each door as an app installs it. */
const doors: Record<string, (sessions: Sessions, options?: AnyOptions) => unknown> = {
  'hallpass/express': (s, o) => expressSession(s, o),
  'hallpass/hono': (s, o) => honoSession(s, o),
  'hallpass/fastify': (s, o) => fastifySession(s, o),
  'hallpass/node': (s, o) => nodeWithSession(s, () => ({ body: '' }), o),
  'hallpass/fetch': (s, o) => fetchWithSession(s, () => new Response(''), o),
  'hallpass/astro': (s, o) => sessionMiddleware(s, o),
  'hallpass/sveltekit': (s, o) => handleSession(s, o),
  'hallpass/tanstack-start': (s, o) => tanstackSessions(s, o),
  'hallpass/next': (s, o) => nextSessions(s, o),
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

describe('options a front door does not take', () => {
  const sessions = createSessions({ secret: 'door-options-test-secret-0123456789abcdef' })
  for (const [name, install] of Object.entries(doors)) {
    it(`${name}: a misspelt option, a wrong type and a misspelt csrf option are CONFIG_INVALID`, () => {
      expect(configMessage(() => install(sessions, { trustproxy: true }))).toMatch(
        new RegExp(`${name}.*unknown option "trustproxy"; known options are .*csrf`),
      )
      if (name !== 'hallpass/sveltekit')
        expect(configMessage(() => install(sessions, { trustProxy: 'yes' }))).toMatch(
          /trustProxy must be true or false \(got "yes"\)/,
        )
      expect(configMessage(() => install(sessions, { csrf: { exmept: ['/hook'] } }))).toMatch(
        /csrf: unknown option "exmept"; known options are origins, allowSameSite, requireToken, exempt, cookieName/,
      )
      expect(configMessage(() => install(sessions, { csrf: true }))).toMatch(
        /csrf must be false or an options object/,
      )
      expect(() => install(sessions, { csrf: { exempt: ['/hook'] } })).not.toThrow()
    })
  }

  it('hallpass/sveltekit refuses trustProxy, which SvelteKit does through adapter-node, and says so', () => {
    expect(
      configMessage(() => handleSession(sessions, { trustProxy: true } as AnyOptions)),
    ).toMatch(/unknown option "trustProxy".*ADDRESS_HEADER/)
  })

  it('onError and getIp must be functions', () => {
    expect(configMessage(() => doors['hallpass/fetch']!(sessions, { onError: 'log' }))).toMatch(
      /onError must be a function \(got string\)/,
    )
    expect(configMessage(() => doors['hallpass/hono']!(sessions, { getIp: '1.2.3.4' }))).toMatch(
      /getIp must be a function \(got string\)/,
    )
  })
})
