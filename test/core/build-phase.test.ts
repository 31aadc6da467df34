// `next build` evaluates the session module without SESSION_SECRET: a missing secret is accepted there and refused at
// every use; anywhere else it throws at once.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSessions, type Sessions } from '../../src/index.ts'
import { nextSessions } from '../../src/integrations/next.ts'
import { TEST_SECRET } from '../support/sessions.ts'

// `server-only` only throws when imported outside a React Server bundle; the set-up under test needs no bundle.
vi.mock('server-only', () => ({}))

const BUILD = 'phase-production-build'
const missing = /`secret` is required/

describe('a missing secret while `next build` runs (NEXT_PHASE=phase-production-build)', () => {
  beforeEach(() => vi.stubEnv('NEXT_PHASE', BUILD))
  afterEach(() => vi.unstubAllEnvs())

  it('creates the manager, and the Next.js bindings on it, without throwing', () => {
    const sessions = createSessions({ secret: process.env.NO_SUCH_SECRET as string })
    expect(() => nextSessions(sessions)).not.toThrow()
  })

  it.each<[string, (sessions: Sessions) => Promise<unknown>]>([
    ['load()', (sessions) => sessions.load({ cookie: 'hp=anything' })],
    ['load() without a cookie', (sessions) => sessions.load()],
    ['listSessions()', (sessions) => sessions.listSessions('u1')],
    ['revokeSession()', (sessions) => sessions.revokeSession('u1', 'x'.repeat(26))],
    ['revokeUserSessions()', (sessions) => sessions.revokeUserSessions('u1')],
    ['ping()', (sessions) => sessions.ping()],
  ])('refuses %s with CONFIG_INVALID, naming the secret and the build', async (_name, use) => {
    const sessions = createSessions({ secret: '' })
    const refusal = { code: 'CONFIG_INVALID', message: expect.stringMatching(missing) }
    await expect(use(sessions)).rejects.toMatchObject(refusal)
    await expect(use(sessions)).rejects.toThrow(/next build/)
  })

  it.each([
    ['a short secret', 'too-short'],
    ['a repetitive secret', 'a'.repeat(40)],
  ])('still throws at once for %s', (_name, secret) => {
    expect(() => createSessions({ secret })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('a manager with a secret works as usual during the build', async () => {
    const session = await createSessions({ secret: TEST_SECRET, cookie: { secure: false } }).load()
    expect(session.isAuthenticated).toBe(false)
  })
})

describe('a missing secret anywhere else', () => {
  afterEach(() => vi.unstubAllEnvs())

  it.each([
    ['no NEXT_PHASE', undefined],
    ['the running Next.js server', 'phase-production-server'],
    ['next dev', 'phase-development-server'],
  ])('throws CONFIG_INVALID at createSessions() under %s', (_name, phase) => {
    vi.stubEnv('NEXT_PHASE', phase)
    const refusal = expect.objectContaining({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(missing),
    })
    expect(() => createSessions({ secret: undefined as unknown as string })).toThrow(refusal)
  })
})
