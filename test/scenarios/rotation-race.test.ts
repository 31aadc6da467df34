// A request still carrying the pre-rotation cookie never clears the post-rotation one, and is never signed in after the rotation.
import { expect, it } from 'vitest'
import type { Reply } from './harness/client.ts'
import { ALL_DOORS, describeMatrix, type Scenario } from './harness/matrix.ts'
import { gate } from './harness/world.ts'

const clears = (reply: Reply): boolean => reply.setCookies.some((c) => /max-age=0/i.test(c))
const TOUCH_DUE = 61_000

/** Starts a request at a gate (the handler waits there after loading), and returns its reply once the gate opens. */
async function held(
  s: Scenario,
  name: string,
  path: string,
  cookie: string,
): Promise<{ open(): Promise<Reply> }> {
  const reply = s.browser.get(`${path}${path.includes('?') ? '&' : '?'}gate=${name}`, { cookie })
  await gate(s.world.hooks, name).reached
  return { open: () => (gate(s.world.hooks, name).open(), reply) }
}

describeMatrix(
  'rotation races',
  (s) => {
    for (const how of ['regenerate', 'login'] as const) {
      for (const work of ['a write', 'a touch that came due'] as const) {
        it(`${how}: a request loaded before the rotation and answered after it, doing ${work}, does not clear the new cookie`, async () => {
          if (how === 'regenerate') await s.browser.post('/login?user=alice')
          else await s.browser.post('/set?key=cart&value=book') // login from an anonymous session
          const before = s.browser.cookie as string
          if (work !== 'a write') s.world.clock.advance(TOUCH_DUE)
          const slow = await held(
            s,
            `slow-${how}`,
            work === 'a write' ? '/slow?set=lastPage' : '/slow',
            before,
          )
          const rotated = await s.browser.post(`/rotate?how=${how}`)
          expect(rotated.status).toBe(200)
          expect(s.browser.cookie).not.toBe(before)
          const late = await slow.open()
          expect(late.status).toBe(200)
          expect(clears(late)).toBe(false)
          expect(late.setCookies).toEqual([])
          const me = await s.browser.get('/whoami')
          expect(me.json).toMatchObject({ userId: 'alice', id: rotated.json.id })
          expect(me.json.data).not.toHaveProperty('lastPage')
        })
      }

      it(`${how}: a request that arrives with the old cookie after the rotation is anonymous and clears nothing, even when it writes`, async () => {
        if (how === 'regenerate') await s.browser.post('/login?user=alice&roles=admin')
        else await s.browser.post('/set?key=cart&value=book')
        const before = s.browser.cookie as string
        await s.browser.post(`/rotate?how=${how}`)
        for (const path of ['/slow', '/slow?set=lastPage', '/admin', '/whoami']) {
          const late = await s.browser.get(path, { cookie: before })
          expect(late.setCookies, path).toEqual([])
          if (path !== '/admin')
            expect(late.json, path).toMatchObject({ userId: null, isNew: true, data: {} })
          else expect(late.status).toBe(401)
        }
        expect(s.world.events).toContainEqual(
          expect.objectContaining({ type: 'session.rejected', reason: 'rotated' }),
        )
        expect((await s.browser.get('/whoami')).json.userId).toBe('alice')
      })
    }

    it('the rotation’s own response can arrive last: the late request loaded after the rotation and answered before it', async () => {
      await s.browser.post('/login?user=alice')
      const before = s.browser.cookie as string
      const rotation = s.browser.post('/rotate?how=regenerate&gate=rotation')
      await gate(s.world.hooks, 'rotation').reached
      const slow = await held(s, 'after', '/slow?set=lastPage', before)
      gate(s.world.hooks, 'rotation').open()
      await rotation
      const late = await slow.open()
      expect(late.setCookies).toEqual([])
      expect(late.json.userId).toBeNull()
      expect((await s.browser.get('/whoami')).json.userId).toBe('alice')
    })

    it('a cookie whose session really ended is still cleared (logout, revoke, unknown)', async () => {
      await s.browser.post('/login?user=alice')
      const before = s.browser.cookie as string
      const slow = await held(s, 'ended', '/slow?set=lastPage', before)
      await s.browser.post('/logout')
      expect(clears(await slow.open())).toBe(true)
      expect(clears(await s.browser.get('/whoami', { cookie: before }))).toBe(true)
    })
  },
  'store',
  ALL_DOORS,
)
