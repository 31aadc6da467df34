// Sealed cookies with a revocation store, over real HTTP: a request still carrying the cookie from before a login or
// regenerate never clears or replaces the new cookie (store mode's rule), and a logged-out cookie stays cleared.
import { expect, it } from 'vitest'
import type { Reply } from '../scenarios/harness/client.ts'
import { describeMatrix, type Scenario } from '../scenarios/harness/matrix.ts'
import { gate } from '../scenarios/harness/world.ts'

const clears = (reply: Reply): boolean => reply.setCookies.some((c) => /max-age=0/i.test(c))
const TOUCH_DUE = 61_000
const GRACE_OVER = 5 * 60_000 + 1_000

/** Starts a request held at a gate after its session loaded; `open()` lets it finish and returns its reply. */
async function held(s: Scenario, name: string, path: string, cookie: string) {
  const reply = s.browser.get(`${path}${path.includes('?') ? '&' : '?'}gate=${name}`, { cookie })
  await gate(s.world.hooks, name).reached
  return { open: () => (gate(s.world.hooks, name).open(), reply) }
}

/** Signs alice in (for a regenerate or a re-login), or leaves an anonymous session with data (for a first login). */
async function before(s: Scenario, how: string, from: 'signed-in' | 'anonymous'): Promise<string> {
  if (from === 'signed-in') await s.browser.post('/login?user=alice&roles=admin')
  else await s.browser.post('/set?key=cart&value=book')
  expect(s.browser.cookie, how).toBeDefined()
  return s.browser.cookie as string
}

const ROTATIONS = [
  { how: 'regenerate', from: 'signed-in' },
  { how: 'login', from: 'signed-in' },
  { how: 'login', from: 'anonymous' },
] as const

describeMatrix(
  'sealed cookies: rotation races',
  (s) => {
    for (const { how, from } of ROTATIONS) {
      for (const work of ['a write', 'a touch that came due', 'nothing'] as const) {
        it(`${how} from ${from}: a request loaded before it and answered after it, doing ${work}, leaves the new cookie alone`, async () => {
          const old = await before(s, how, from)
          if (work === 'a touch that came due') s.world.clock.advance(TOUCH_DUE)
          const path = work === 'a write' ? '/slow?set=lastPage' : '/slow'
          const slow = await held(s, `slow-${how}-${from}`, path, old)
          const rotated = await s.browser.post(`/rotate?how=${how}`)
          expect(rotated.status).toBe(200)
          expect(s.browser.cookie).not.toBe(old)
          const late = await slow.open()
          expect(late.status).toBe(200)
          expect(late.setCookies).toEqual([]) // neither cleared nor replaced by a re-sealed old cookie
          const me = await s.browser.get('/whoami')
          expect(me.json).toMatchObject({ userId: 'alice', id: rotated.json.id })
          expect(me.json.data).not.toHaveProperty('lastPage')
        })
      }

      it(`${how} from ${from}: a request arriving with the old cookie after it clears and replaces nothing, even when it writes`, async () => {
        const old = await before(s, how, from)
        await s.browser.post(`/rotate?how=${how}`)
        s.world.clock.advance(TOUCH_DUE) // and a touch is due
        for (const path of ['/slow', '/slow?set=lastPage', '/admin', '/whoami']) {
          const late = await s.browser.get(path, { cookie: old })
          expect(late.setCookies, path).toEqual([])
          if (path === '/admin') expect(late.status).toBe(401)
          else expect(late.json.userId, path).toBeNull()
        }
        expect((await s.browser.get('/whoami')).json.userId).toBe('alice')
      })
    }

    it('regenerate: the old cookie is anonymous without clearing during the grace, and refused and cleared after it', async () => {
      const old = await before(s, 'regenerate', 'signed-in')
      await s.browser.post('/rotate?how=regenerate')
      expect(s.world.events).not.toContainEqual(
        expect.objectContaining({ type: 'session.rejected', reason: 'revoked' }),
      )
      await s.browser.get('/whoami', { cookie: old })
      expect(s.world.events).toContainEqual(
        expect.objectContaining({ type: 'session.rejected', reason: 'rotated' }),
      )
      s.world.clock.advance(GRACE_OVER)
      const stale = await s.browser.get('/whoami', { cookie: old })
      expect(stale.json.userId).toBeNull()
      expect(clears(stale)).toBe(true)
    })

    for (const work of ['a write', 'a touch that came due'] as const) {
      it(`logout: a request loaded before it and answered after it, doing ${work}, does not bring the session back`, async () => {
        const old = await before(s, 'logout', 'signed-in')
        if (work === 'a touch that came due') s.world.clock.advance(TOUCH_DUE)
        const path = work === 'a write' ? '/slow?set=lastPage' : '/slow'
        const slow = await held(s, `slow-logout-${work}`, path, old)
        expect(clears(await s.browser.post('/logout'))).toBe(true)
        const late = await slow.open()
        expect(late.setCookies.filter((c) => !/max-age=0/i.test(c))).toEqual([]) // nothing re-sealed
        expect(clears(late)).toBe(true) // the ended session's cookie is cleared, as in store mode
        expect((await s.browser.get('/whoami', { cookie: old })).json.userId).toBeNull()
      })
    }
  },
  'sealed',
)
