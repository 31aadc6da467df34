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
import { guardPage, sessionMiddleware, type AstroContext } from '../../src/integrations/astro.ts'
import { nextSessions } from '../../src/integrations/next.ts'
import { handleSession, sessionErrors } from '../../src/integrations/sveltekit.ts'
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
      expect(configMessage(() => install(sessions, { csrf: { origins: 'http://x' } }))).toMatch(
        /csrf origins must be an array of origins, e\.g\. \["https:\/\/app\.example\.com"\] \(got "http:\/\/x"\)/,
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

describe('csrf options of the wrong type', () => {
  const sessions = createSessions({ secret: 'csrf-options-test-secret-0123456789abcdef' })
  it('a lone string for a list, a string for a flag, a number for the cookie name: CONFIG_INVALID naming it', () => {
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ origins: 'https://app.example.com' }, /csrf origins must be an array of origins/],
      [{ origins: [42] }, /csrf origins must be an array of origins.*\(got \[42\]\)/],
      [
        { exempt: '/webhooks/stripe' },
        /csrf exempt must be an array of paths, e\.g\. \["\/webhooks/,
      ],
      [{ allowSameSite: 'true' }, /csrf allowSameSite must be true or false \(got "true"\)/],
      [{ requireToken: 1 }, /csrf requireToken must be true or false \(got 1\)/],
      [{ cookieName: 7 }, /csrf cookieName must be a string \(got number\)/],
    ]
    for (const [options, message] of refusals)
      expect(configMessage(() => createCsrf(sessions, options))).toMatch(message)
    const good = { origins: ['https://app.example.com'], allowSameSite: true, requireToken: false }
    expect(() =>
      createCsrf(sessions, { ...good, exempt: ['/hook'], cookieName: 'x' }),
    ).not.toThrow()
  })
})

describe("options of the integrations' other functions", () => {
  const sessions = createSessions({ secret: 'other-options-test-secret-0123456789abcdef' })

  it('hallpass/sveltekit sessionErrors(): a misspelt option and an onError that is not a function', () => {
    expect(configMessage(() => sessionErrors({ onerror: () => {} } as AnyOptions))).toMatch(
      /sessionErrors\(\): unknown option "onerror"; known options are onError/,
    )
    expect(configMessage(() => sessionErrors({ onError: 'log' } as AnyOptions))).toMatch(
      /sessionErrors\(\): onError must be a function \(got string\)/,
    )
    expect(() => sessionErrors({ onError: () => {} })).not.toThrow()
  })

  it('hallpass/astro guardPage(): a misspelt option, an off-site loginPath and a forbidden that is not a function', async () => {
    const context: AstroContext = {
      request: new Request('https://app.example/admin'),
      url: new URL('https://app.example/admin'),
      locals: { session: await sessions.load() },
      clientAddress: '127.0.0.1',
      isPrerendered: false,
      redirect: (location, status) =>
        new Response(null, { status: status ?? 302, headers: { location } }),
    }
    const anonymous = () => 'unauthenticated' as const
    const refused = (options: AnyOptions, message: RegExp) =>
      expect(guardPage(context, anonymous, options)).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(message),
      })
    await refused(
      { loginpath: '/signin' },
      /guardPage\(\): unknown option "loginpath"; known options are loginPath, forbidden/,
    )
    await refused(
      { loginPath: 'signin' },
      /loginPath must be a path on this site .*\(got "signin"\)/,
    )
    await refused({ loginPath: '//evil.example/login' }, /loginPath must be a path on this site/)
    await refused({ forbidden: 403 }, /forbidden must be a function \(got number\)/)
    await refused(null as unknown as AnyOptions, /guardPage\(\): options must be an object/)
    const sent = await guardPage(context, anonymous, { loginPath: '/signin' })
    expect(sent?.headers.get('location')).toBe('/signin?next=%2Fadmin')
    // A loginPath with its own query keeps it, and `next` is added to it (it was `/signin?x=1?next=...`).
    const kept = await guardPage(context, anonymous, { loginPath: '/signin?x=1' })
    expect(kept?.headers.get('location')).toBe('/signin?x=1&next=%2Fadmin')
  })

  it('hallpass/next gate(): a misspelt option and a guard that is not a function', () => {
    const { gate } = nextSessions(sessions)
    expect(configMessage(() => gate({ signin: '/signin' } as AnyOptions))).toMatch(
      /gate\(\): unknown option "signin"; known options are signIn, guard/,
    )
    expect(configMessage(() => gate({ guard: 'admin' } as AnyOptions))).toMatch(
      /gate\(\{ guard \}\) must be a guard from hallpass\/guards \(got string\)/,
    )
    expect(() => gate({ signIn: '/signin', guard: () => 'allow' })).not.toThrow()
  })
})
