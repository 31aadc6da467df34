// getSession() inside and outside a request scope.
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { testSessions } from '../support/sessions.ts'
import { findSession, getSession, runWithSession } from '../../src/context/index.ts'

describe('hallpass/context', () => {
  it('throws CONFIG_INVALID outside a request, naming the fix', () => {
    expect(() => getSession()).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('session middleware'),
      }),
    )
    expect(findSession()).toBeUndefined()
  })

  it('follows the async call chain and keeps concurrent scopes apart', async () => {
    const { sessions } = testSessions()
    const [a, b] = await Promise.all([sessions.load(), sessions.load()])
    const seen = await Promise.all(
      [a, b].map((session, i) =>
        runWithSession(session, async () => {
          await sleep(5 - i * 4)
          return getSession() === session && findSession() === session
        }),
      ),
    )
    expect(seen).toEqual([true, true])
    expect(findSession()).toBeUndefined()
  })
})
