// Read-your-writes with the cookie cache on, on every adapter: after a change, the response carries a fresh snapshot or clears the old one.
import { expect, it } from 'vitest'
import type { Reply } from './harness/client.ts'
import { describeMatrix, type Scenario } from './harness/matrix.ts'

const cacheName = (s: Scenario): string => `${s.world.sessions.cookie.name}-c`
const clearsCache = (s: Scenario, reply: Reply): boolean =>
  reply.setCookies.some((c) => c.startsWith(`${cacheName(s)}=;`) && /max-age=0/i.test(c))
const sendsSnapshot = (s: Scenario, reply: Reply): boolean =>
  reply.setCookies.some((c) => c.startsWith(`${cacheName(s)}=`) && !/max-age=0/i.test(c))

/** What the store holds for the browser's session (never a cached snapshot). */
async function stored(s: Scenario, id: string) {
  const record = await s.world.store.get(id)
  return record !== null && record !== 'corrupt' ? record.data : undefined
}

describeMatrix(
  'cookie cache: read-your-writes',
  (s) => {
    it('a write whose snapshot no longer fits a cookie clears the old snapshot, so the next read sees the write', async () => {
      await s.browser.post('/login?user=alice')
      const small = await s.browser.post('/set?key=a&value=1')
      expect(sendsSnapshot(s, small)).toBe(true)
      const big = await s.browser.post(`/set?key=blob&value=${'x'.repeat(3500)}`)
      expect(big.status).toBe(200)
      expect(clearsCache(s, big)).toBe(true)
      const read = await s.browser.get('/whoami')
      expect(read.json.data).toMatchObject({ a: '1', blob: 'x'.repeat(3500) })
      // The store answers now; a snapshot that cannot fit is not attempted again, and nothing is cleared twice.
      expect(read.setCookies).toEqual([])
    })

    it('update() in a request served from the snapshot sends a fresh one: the next read and a get/set after it see the update', async () => {
      const login = await s.browser.post('/login?user=alice')
      expect(sendsSnapshot(s, login)).toBe(true)
      const incr = await s.browser.post('/incr?key=n') // loaded from the snapshot the login sent
      expect(incr.json.n).toBe(1)
      expect(sendsSnapshot(s, incr)).toBe(true)
      expect((await s.browser.get('/whoami')).json.data.n).toBe(1)
      const bump = await s.browser.post('/bump?key=n')
      expect(bump.json.data.n).toBe(2)
      expect(await stored(s, login.json.id)).toMatchObject({ n: 2 })
      expect((await s.browser.get('/whoami')).json.data.n).toBe(2)
    })

    it('an error reply after update() still carries the fresh snapshot', async () => {
      const login = await s.browser.post('/login?user=alice')
      const failed = await s.browser.post('/incr?key=n&throw=1')
      expect(failed.status).toBe(500)
      expect(await stored(s, login.json.id)).toMatchObject({ n: 1 }) // update() wrote before the handler threw
      expect((await s.browser.get('/whoami')).json.data.n).toBe(1)
      await s.browser.post('/bump?key=n')
      expect(await stored(s, login.json.id)).toMatchObject({ n: 2 })
    })
  },
  'cache',
)
