// Misconfiguration throws CONFIG_INVALID at createSessions, with a message that says how to fix it.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createSessions, HallpassError } from '../../src/index.ts'
import { parseDuration } from '../../src/core/duration.ts'
import { TEST_SECRET } from '../support/sessions.ts'

function configErrorOf(options: unknown): HallpassError {
  try {
    createSessions(options as Parameters<typeof createSessions>[0])
  } catch (err) {
    if (err instanceof HallpassError) return err
    throw err
  }
  throw new Error('expected createSessions to throw')
}

describe('configuration', () => {
  it.each([
    ['no secret', {}, /secret.*required/],
    ['a short secret', { secret: 'too-short' }, /at least 32 characters/],
    ['a repetitive secret', { secret: 'a'.repeat(40) }, /repetitive/],
    ['a bad key id', { secret: { 0: TEST_SECRET } }, /positive integer/],
    ['a short rotated secret', { secret: { 2: TEST_SECRET, 1: 'old' } }, /secret 1/],
    ['an unknown option', { secret: TEST_SECRET, idleTimout: '5m' }, /unknown option "idleTimout"/],
    ['a bad duration', { secret: TEST_SECRET, idleTimeout: '30 minutes' }, /idleTimeout.*'30m'/],
    ['a negative duration', { secret: TEST_SECRET, absoluteTimeout: -5 }, /absoluteTimeout/],
    [
      'idle longer than absolute',
      { secret: TEST_SECRET, idleTimeout: '2d', absoluteTimeout: '1d' },
      /longer than absoluteTimeout/,
    ],
    [
      'touch not shorter than idle',
      { secret: TEST_SECRET, idleTimeout: '1m', touchInterval: '1m' },
      /touchInterval/,
    ],
    ['a fractional cap', { secret: TEST_SECRET, maxSessionsPerUser: 1.5 }, /maxSessionsPerUser/],
    ['a non-schema', { secret: TEST_SECRET, schema: { parse() {} } }, /Standard Schema/],
    ['a store without the contract', { secret: TEST_SECRET, store: {} }, /Store contract/],
    [
      '__Host- without secure',
      { secret: TEST_SECRET, cookie: { name: '__Host-s', secure: false } },
      /__Host-.*secure: true/,
    ],
    [
      '__Host- with a domain',
      { secret: TEST_SECRET, cookie: { domain: 'example.com' } },
      /__Host-/,
    ],
    [
      '__Secure- without secure',
      { secret: TEST_SECRET, cookie: { name: '__Secure-s', secure: false } },
      /__Secure-/,
    ],
    [
      'SameSite=None without secure',
      { secret: TEST_SECRET, cookie: { secure: false, sameSite: 'none' } },
      /sameSite 'none'/,
    ],
    [
      'a cookie name with a space',
      { secret: TEST_SECRET, cookie: { name: 'my cookie' } },
      /not a valid cookie name/,
    ],
    [
      'previousNames that is not a list',
      { secret: TEST_SECRET, cookie: { previousNames: 'hp' } },
      /previousNames must be a list/,
    ],
    [
      'a previous name that is no cookie name',
      { secret: TEST_SECRET, cookie: { previousNames: ['old name'] } },
      /previousNames.*not a valid cookie name/,
    ],
    [
      'the current name as a previous name',
      { secret: TEST_SECRET, cookie: { previousNames: ['__Host-hp'] } },
      /previousNames.*look-alike/,
    ],
    [
      'a look-alike of the current name',
      { secret: TEST_SECRET, cookie: { previousNames: ['__HOST-hp'] } },
      /previousNames.*look-alike/,
    ],
    [
      'a previous name twice',
      { secret: TEST_SECRET, cookie: { previousNames: ['hp', 'HP'] } },
      /previousNames.*once/,
    ],
    [
      'the cache cookie as a previous name',
      { secret: TEST_SECRET, cookie: { previousNames: ['__Host-hp-c'] } },
      /previousNames.*cache/,
    ],
  ])('refuses %s', (_title, options, message) => {
    const err = configErrorOf(options)
    expect(err.code).toBe('CONFIG_INVALID')
    expect(err.message).toMatch(message)
  })

  it('accepts a minimal config with safe cookie defaults', async () => {
    const sessions = createSessions({ secret: TEST_SECRET })
    expect(sessions.cookie).toMatchObject({
      name: '__Host-hp',
      secure: true,
      sameSite: 'lax',
      path: '/',
    })
    const session = await sessions.load()
    session.set('a', 1)
    const [cookie] = (await session.commit()).cookies
    expect(cookie).toMatch(/^__Host-hp=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
  })

  it('accepts numbered secrets and a zod schema', () => {
    expect(() =>
      createSessions({
        secret: { 2: TEST_SECRET, 1: `${TEST_SECRET}-old` },
        schema: z.object({ n: z.number() }).partial(),
      }),
    ).not.toThrow()
  })

  it('parses durations in seconds and with units', () => {
    expect(parseDuration(90)).toBe(90_000)
    expect(parseDuration('30m')).toBe(1_800_000)
    expect(parseDuration('24h')).toBe(86_400_000)
    expect(parseDuration('2w')).toBe(1_209_600_000)
    expect(parseDuration('1.5s')).toBe(1_500)
    expect(parseDuration('0s')).toBeUndefined()
    expect(parseDuration('10 years')).toBeUndefined()
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined()
  })
})
