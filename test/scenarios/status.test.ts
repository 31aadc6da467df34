// The status endpoint of hallpass/client on every front door: its contract, a read that slides the idle deadline, an outage, and sign-out.
import { expect, it } from 'vitest'
import { parseStatus } from '../../src/client/status.ts'
import { ALL_DOORS, describeMatrix } from './harness/matrix.ts'

const MINUTE = 60_000

describeMatrix(
  'status endpoint',
  (s) => {
    it('answers the contract: anonymous, then the signed-in session, then anonymous after logout', async () => {
      const anonymous = await s.browser.get('/api/auth/session')
      expect(anonymous.status).toBe(200)
      expect(parseStatus(anonymous.json)).toEqual({ authenticated: false })
      const login = await s.browser.post('/login?user=alice')
      expect(login.status).toBe(200)
      const signedIn = parseStatus<{ id: string }>((await s.browser.get('/api/auth/session')).json)
      expect(signedIn).toMatchObject({ authenticated: true, user: { id: 'alice' } })
      if (!signedIn.authenticated) throw new Error('expected a signed-in status')
      expect(signedIn.session.id).toBe(login.json.id)
      expect(signedIn.session.id).not.toContain(s.browser.cookie?.split('=')[1] ?? '-')
      expect((await s.browser.post('/logout')).status).toBe(200)
      expect(parseStatus((await s.browser.get('/api/auth/session')).json)).toEqual({
        authenticated: false,
      })
    })

    it('a status read slides the idle deadline once a touch is due', async () => {
      await s.browser.post('/login?user=alice')
      const first = parseStatus((await s.browser.get('/api/auth/session')).json)
      s.world.clock.advance(5 * MINUTE)
      const later = parseStatus((await s.browser.get('/api/auth/session')).json)
      if (!first.authenticated || !later.authenticated)
        throw new Error('expected signed-in statuses')
      expect(later.session.idleExpiresAt).toBe(first.session.idleExpiresAt + 5 * MINUTE)
      expect(later.session.expiresAt).toBe(first.session.expiresAt)
    })

    it('answers 503 STORE_UNAVAILABLE while the store is down, and the session is intact afterwards', async () => {
      await s.browser.post('/login?user=alice')
      s.world.store.down = true
      const down = await s.browser.get('/api/auth/session')
      expect(down.status).toBe(503)
      expect(down.json.error.code).toBe('STORE_UNAVAILABLE')
      s.world.store.down = false
      expect(parseStatus((await s.browser.get('/api/auth/session')).json)).toMatchObject({
        authenticated: true,
      })
    })
  },
  'store',
  ALL_DOORS,
)
