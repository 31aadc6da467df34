// A remember-me cookie can never be asked to outlive the 400 days browsers keep a cookie (RFC 6265bis).
import { describe, expect, it } from 'vitest'
import { createSessions } from '../../src/index.ts'
import { testSessions, TEST_SECRET } from '../support/sessions.ts'

describe('persistent cookie lifetime', () => {
  it.each(['104w', '401d', 401 * 86_400] as const)('rememberMeTimeout %s is refused at startup with CONFIG_INVALID saying why', (rememberMeTimeout) => {
    expect(() => createSessions({ secret: TEST_SECRET, rememberMeTimeout })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/rememberMeTimeout \(\d+ days\) is longer than 400 days.*RFC 6265bis/) }),
    )
  })

  it("'400d' is accepted and the cookie's Max-Age is 400 days", async () => {
    const { sessions } = testSessions({ rememberMeTimeout: '400d', rememberMeIdleTimeout: '30d' })
    const session = await sessions.load()
    await session.login('alice', { rememberMe: true })
    const [cookie] = (await session.commit()).cookies
    expect(cookie).toMatch(/Max-Age=34560000(;|$)/)
  })
})
