// hallpass/context on every adapter: getSession() deep in the call chain, after an await and after body parsing.
import { expect, it } from 'vitest'
import { describeMatrix } from './harness/matrix.ts'

describeMatrix('context', (s) => {
  it('returns the request session after an async hop', async () => {
    await s.browser.post('/login?user=alice')
    expect((await s.browser.get('/context')).json).toEqual({
      same: true,
      userId: 'alice',
      body: null,
    })
  })

  it('returns the request session after the body was parsed', async () => {
    await s.browser.post('/login?user=alice')
    expect((await s.browser.post('/context', { body: { hello: 'world' } })).json).toEqual({
      same: true,
      userId: 'alice',
      body: { hello: 'world' },
    })
  })

  it('keeps concurrent requests apart', async () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5']
    const browsers = users.map(() => s.newBrowser())
    await Promise.all(users.map((user, i) => browsers[i]?.post(`/login?user=${user}`)))
    const seen = await Promise.all(browsers.map((b) => b.post('/context', { body: { n: 1 } })))
    expect(seen.map((r) => r.json.userId)).toEqual(users)
  })
})
