// One rule for roles and permissions: what login() accepts is exactly what the guards honour, and what a load keeps.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hasPermission, hasRole } from '../../src/guards/index.ts'
import { testSessions } from '../support/sessions.ts'

const { sessions } = testSessions()

/** True when login() takes `value` as the only role (or permission) and the session then holds it. */
async function grant(kind: 'roles' | 'permissions', value: string) {
  const session = await sessions.load()
  try {
    await session.login('alice', { [kind]: [value] })
  } catch (err) {
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' })
    return { accepted: false, honoured: false }
  }
  const honoured = kind === 'roles' ? hasRole(session, value) : hasPermission(session, value)
  return { accepted: true, honoured }
}

// Characters that sit on the edges of the two rules: controls, space, the permission syntax, non-ASCII.
const tricky = fc.constantFrom(
  'a',
  'Z',
  '0',
  ' ',
  '\t',
  '\n',
  '\u007f',
  ':',
  '-',
  '.',
  'é',
  '✍️',
  '🔑',
  '\u200b',
)
const text = fc.array(tricky, { minLength: 1, maxLength: 12 }).map((chars) => chars.join(''))

describe('privilege limits: login() and the guards agree', () => {
  it.each([
    ['roles', 'admin\n'],
    ['roles', 'ops\u0000'],
    ['permissions', 'posts edit'],
    ['permissions', 'posts::edit'],
    ['permissions', 'a:b:c:d:e:f:g:h:i'],
    ['permissions', 'posts:✍️'],
    ['permissions', '🗑️'],
  ] as const)('%s %j: accepted exactly when honoured', async (kind, value) => {
    const { accepted, honoured } = await grant(kind, value)
    expect(accepted).toBe(honoured)
  })

  it('a `*` inside a segment is kept but is no wildcard: it grants nothing (docs/adapters.md)', async () => {
    expect(await grant('permissions', 'report*')).toEqual({ accepted: true, honoured: false })
  })

  it('for any role or concrete permission, login() accepts it exactly when the guards then grant it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('roles' as const, 'permissions' as const),
        text,
        async (kind, value) => {
          const { accepted, honoured } = await grant(kind, value)
          expect(accepted).toBe(honoured)
        },
      ),
      { numRuns: 300 },
    )
  })
})
