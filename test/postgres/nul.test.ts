// A NUL character in session data is refused at the call on every store (Postgres cannot keep it): a typed
// SESSION_DATA_INVALID naming the key, never a 500 at commit on Postgres only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/stores/memory.ts'
import { migratePostgres, postgresStore } from '../../src/stores/postgres/index.ts'
import type { Store } from '../../src/stores/types.ts'
import { testClock } from '../support/clock.ts'
import {
  connectClients,
  startPostgres,
  uniqueTable,
  type PostgresClients,
} from '../support/postgres.ts'
import { cookiePair, testSessions } from '../support/sessions.ts'

let clients: PostgresClients

beforeAll(async () => {
  clients = await connectClients(await startPostgres())
})

afterAll(async () => {
  await clients?.close()
  await clients?.server.stop()
})

const STORES: Record<string, () => Promise<Store>> = {
  memory: async () => memoryStore({ clock: testClock() }),
  'PostgreSQL (pg Pool)': async () => {
    const table = uniqueTable('nul')
    await migratePostgres({ client: clients.pool, table })
    return postgresStore({ client: clients.pool, table, purgeIntervalMs: 0 })
  },
}

describe.each(Object.keys(STORES))('a NUL character in session data (%s)', (name) => {
  async function signedIn() {
    const store = await (STORES[name] as () => Promise<Store>)()
    const { sessions } = testSessions({ store })
    const session = await sessions.load()
    await session.login('alice')
    session.set('cart', ['book'])
    const cookie = cookiePair((await session.commit()).cookies[0])
    return { sessions, cookie }
  }

  it('set() refuses it in a value, naming the key and path, and the commit still succeeds', async () => {
    const { sessions, cookie } = await signedIn()
    const session = await sessions.load({ cookie })
    expect(() => session.set('note', 'a\u0000b')).toThrow(
      expect.objectContaining({
        code: 'SESSION_DATA_INVALID',
        message: expect.stringMatching(/note/),
      }),
    )
    expect(() => session.set('cart', { items: ['x', 'y\u0000'] })).toThrow(
      expect.objectContaining({
        code: 'SESSION_DATA_INVALID',
        message: expect.stringContaining('cart.items[1]'),
      }),
    )
    expect(() => session.set('cart', { ['k\u0000']: 1 })).toThrow(
      expect.objectContaining({ code: 'SESSION_DATA_INVALID' }),
    )
    session.set('ok', 'fine')
    await session.commit()
    expect((await sessions.load({ cookie })).data).toEqual({ cart: ['book'], ok: 'fine' })
  })

  it('set() refuses it in a key, and update() refuses it in a key or a value, writing nothing', async () => {
    const { sessions, cookie } = await signedIn()
    const session = await sessions.load({ cookie })
    expect(() => session.set('bad\u0000key', 1)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('NUL'),
      }),
    )
    await expect(session.update((d) => void (d.note = '\u0000'))).rejects.toMatchObject({
      code: 'SESSION_DATA_INVALID',
      message: expect.stringContaining('note'),
    })
    await expect(session.update((d) => void (d['k\u0000'] = 1))).rejects.toMatchObject({
      code: 'SESSION_DATA_INVALID',
    })
    await session.commit()
    expect((await sessions.load({ cookie })).data).toEqual({ cart: ['book'] })
  })
})
