// A mutation after the session was committed (the response started) throws SESSION_COMMITTED and leaves the store alone, on every adapter.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type ErrorRequestHandler } from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { session as expressSession } from '../../src/adapters/express.ts'
import type { Session } from '../../src/core/session.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { testClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'
import { Browser } from './harness/client.ts'
import { ALL_DOORS, describeMatrix } from './harness/matrix.ts'

/** Every mutation a handler can make, each tried on its own. */
const MUTATIONS: Record<string, (session: Session) => unknown> = {
  set: (s) => s.set('late', 1),
  delete: (s) => s.delete('theme'),
  update: (s) => s.update((d) => void (d.late = 1)),
  login: (s) => s.login('mallory'),
  regenerate: (s) => s.regenerate(),
  logout: (s) => s.logout(),
  destroy: (s) => s.destroy(),
}

describeMatrix(
  'mutation after commit',
  (s) => {
    it('throws SESSION_COMMITTED for each mutation, touches nothing, and the session stays valid', async () => {
      await s.browser.post('/set?key=theme&value=dark')
      await s.browser.post('/login?user=alice')
      const before = (await s.browser.get('/whoami')).json
      const parked = await s.browser.post('/park')
      expect(parked.status).toBe(200)
      const late = s.world.hooks.parked[0] as Session
      expect(late.isCommitted).toBe(true)
      const writes = s.world.events.length
      for (const [name, mutate] of Object.entries(MUTATIONS)) {
        let thrown: unknown
        try {
          await mutate(late)
        } catch (err) {
          thrown = err
        }
        expect(thrown, name).toMatchObject({ name: 'HallpassError', code: 'SESSION_COMMITTED' })
      }
      expect(s.world.events.length).toBe(writes)
      const after = await s.browser.get('/whoami')
      expect(after.json).toEqual(before)
      expect(after.setCookies).toEqual([])
    })
  },
  'store',
  ALL_DOORS,
)

describe('Express: an id change after res.write()', () => {
  const servers: Server[] = []
  afterEach(() =>
    Promise.all(
      servers
        .splice(0)
        .map((server) => new Promise((r) => (server.closeAllConnections(), server.close(r)))),
    ),
  )

  it('regenerate() and login() after the first byte throw SESSION_COMMITTED, and the user stays signed in', async () => {
    const { sessions } = testSessions({ store: memoryStore({ clock: testClock() }) })
    const caught: unknown[] = []
    const app = express()
    app.use(expressSession(sessions))
    app.post('/login', async (req, res) => {
      await (req.session as unknown as Session).login('alice')
      res.json({ ok: true })
    })
    app.get('/me', (req, res) => res.json({ user: (req.session as unknown as Session).userId }))
    app.post('/stream', async (req, res) => {
      res.write('first chunk;')
      const current = req.session as unknown as Session
      try {
        if (req.query.how === 'login') await current.login('bob')
        else await current.regenerate()
      } catch (err) {
        caught.push(err)
      }
      res.end('done')
    })
    const onError: ErrorRequestHandler = (err, _req, res, _next) => res.status(500).end(String(err))
    app.use(onError)
    const server = createServer(app)
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const browser = new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    await browser.post('/login')
    for (const how of ['regenerate', 'login']) {
      const streamed = await browser.post(`/stream?how=${how}`)
      expect(streamed.text).toBe('first chunk;done')
      expect(streamed.setCookies).toEqual([])
      expect((await browser.get('/me')).json.user).toBe('alice')
    }
    expect(caught).toHaveLength(2)
    for (const err of caught) expect(err).toMatchObject({ code: 'SESSION_COMMITTED' })
  })
})
