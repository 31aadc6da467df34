// Read-your-writes with the cookie cache under concurrency, over real HTTP: overlapping requests on one session, one
// held on a promise the test releases, and the next read must see every write the store has.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { withSession } from '../../src/adapters/node.ts'
import type { Sessions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import type { Store } from '../../src/stores/types.ts'
import { testClock, type TestClock } from '../support/clock.ts'
import { testSessions } from '../support/sessions.ts'
import { Browser, type Reply } from '../scenarios/harness/client.ts'

/** A request the test holds inside its handler: `reached` once the handler runs, until `release()`. */
interface Hold {
  reached: Promise<void>
  release(): void
  gate: Promise<void>
  arrived(): void
}

function hold(): Hold {
  let arrived!: () => void
  let release!: () => void
  const reached = new Promise<void>((resolve) => (arrived = resolve))
  const gate = new Promise<void>((resolve) => (release = resolve))
  return { reached, release, gate, arrived }
}

const servers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of servers.splice(0)) await close()
})

/** One app instance: POST /login, POST /set?key=&value=, GET /read; `?hold=NAME` parks the handler on `holds[NAME]`. */
async function instance(sessions: Sessions, holds: Map<string, Hold>): Promise<string> {
  const server = createServer(
    withSession(sessions, async (req, session) => {
      const url = new URL(req.url ?? '/', 'http://app')
      const key = url.searchParams.get('key') ?? ''
      if (url.pathname === '/login') await session.login('alice')
      if (url.pathname === '/set') session.set(key, url.searchParams.get('value'))
      const held = holds.get(url.searchParams.get('hold') ?? '')
      if (held) {
        held.arrived()
        await held.gate
      }
      return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(session.data) }
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(
    () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function cached(store: Store, clock: TestClock): Sessions {
  return testSessions({ store, clock, cookieCache: { ttl: '30s' } }).sessions
}

const snapshotOf = (reply: Reply): string | undefined =>
  reply.setCookies.find((c) => c.startsWith('hp-c=') && !/max-age=0/i.test(c))

describe('cookie cache under concurrency', () => {
  it('two overlapping writes on one instance: the later response does not hide the other write', async () => {
    const clock = testClock()
    const store = memoryStore({ clock })
    const holds = new Map([
      ['a', hold()],
      ['b', hold()],
    ])
    const browser = new Browser(await instance(cached(store, clock), holds))
    expect(snapshotOf(await browser.post('/login'))).toBeDefined()
    // A and B load the same snapshot, each sets its key, and both wait before the commit.
    const a = browser.post('/set?key=x&value=1&hold=a')
    await holds.get('a')?.reached
    const b = browser.post('/set?key=y&value=2&hold=b')
    await holds.get('b')?.reached
    holds.get('a')?.release()
    await a // A's response arrives first ...
    holds.get('b')?.release()
    await b // ... and B's last: its cookies are the browser's now.
    const read = await browser.get('/read')
    expect(read.json).toEqual({ x: '1', y: '2' })
  })

  it('a read that reloaded an expired snapshot and finishes after a write does not bring back the old data', async () => {
    const clock = testClock()
    const store = memoryStore({ clock })
    const holds = new Map([['r', hold()]])
    const browser = new Browser(await instance(cached(store, clock), holds))
    await browser.post('/login')
    await browser.post('/set?key=n&value=old')
    clock.advance(31_000) // the snapshot expired: the next requests load from the store
    const read = browser.get('/read?hold=r')
    await holds.get('r')?.reached
    const write = await browser.post('/set?key=n&value=new')
    expect(snapshotOf(write)).toBeDefined()
    holds.get('r')?.release()
    expect((await read).json).toEqual({ n: 'old' }) // its own view, but it arrives last
    expect((await browser.get('/read')).json).toEqual({ n: 'new' })
  })

  it('a snapshot built before a later write on this instance is refused even when it arrives last', async () => {
    const clock = testClock()
    const store = memoryStore({ clock })
    const browser = new Browser(await instance(cached(store, clock), new Map()))
    await browser.post('/login')
    const early = await browser.post('/set?key=n&value=1')
    await browser.post('/set?key=n&value=2')
    // The first response's snapshot reaches the cookie jar after the second's (the responses raced on the way).
    const pair = (snapshotOf(early) ?? '').split(';')[0] as string
    const cookie = (browser.cookie ?? '').replace(/hp-c=[^;]*/, pair)
    expect(cookie).toContain(pair)
    expect((await browser.get('/read', { cookie })).json).toEqual({ n: '2' })
  })

  it('across instances: a snapshot older than a version this instance wrote is refused', async () => {
    const clock = testClock()
    const store = memoryStore({ clock })
    const one = new Browser(await instance(cached(store, clock), new Map()))
    const twoUrl = await instance(cached(store, clock), new Map())
    await one.post('/login')
    const viaTwo = one.at(twoUrl) // the same browser, balanced to instance two
    expect(snapshotOf(await viaTwo.post('/set?key=x&value=1'))).toBeDefined() // instance two writes: version 2
    const twosSnapshot = viaTwo.cookie ?? ''
    // Instance one writes on top of it (version 3), but that response is lost and two's snapshot stays in the jar.
    await one.post('/set?key=y&value=2', { cookie: twosSnapshot })
    expect((await one.get('/read', { cookie: twosSnapshot })).json).toEqual({ x: '1', y: '2' })
  })
})
