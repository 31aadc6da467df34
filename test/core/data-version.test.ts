// Deploys that change the session schema (#27.3): older data is upgraded on load and stored with the next write; data
// a newer deploy wrote is kept, never deleted, and its user stays signed in on an older process.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  createSessions,
  type SessionEvent,
  type Sessions,
  type SessionsOptions,
} from '../../src/index.ts'
import { sealedCookies } from '../../src/sealed/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import type { SessionData, Store } from '../../src/stores/types.ts'
import { testClock } from '../support/clock.ts'
import { countingStore } from '../support/counting-store.ts'
import { cookiePair, TEST_SECRET } from '../support/sessions.ts'

/** Version 1: a free-form name and an age as text. */
const v1 = z.object({ name: z.string(), age: z.string(), theme: z.string() }).partial()
/** Version 2: the name renamed to displayName (never empty), the age a whole number. */
const v2 = z.object({
  displayName: z.string().min(1).optional(),
  age: z.number().int().optional(),
  theme: z.string().optional(),
})
/** Version 3: the theme tightened to two values. */
const v3 = v2.extend({ theme: z.enum(['light', 'dark']).optional() })

const toV2 = ({ name, age, ...rest }: SessionData): SessionData => ({
  ...rest,
  displayName: typeof name === 'string' && name !== '' ? name : 'anonymous',
  ...(typeof age === 'string' && { age: Number.parseInt(age, 10) }),
})
const toV3 = ({ theme, ...rest }: SessionData): SessionData => ({
  ...rest,
  ...(theme === 'light' || theme === 'dark' ? { theme } : {}),
})

/**
 * Deploys of one app (data versions 1, 2 and 3, and 2 with the cookie cache) on one memory store and one clock, each
 * with its own events; `calls` counts the store calls of all of them.
 */
function deploys() {
  const clock = testClock()
  const { store, calls } = countingStore(memoryStore({ clock }))
  const make = <D extends SessionData>(options: Partial<SessionsOptions<D>>) => {
    const events: SessionEvent[] = []
    const sessions = createSessions<D>({
      secret: TEST_SECRET,
      clock,
      store,
      cookie: { secure: false },
      touchInterval: '60s',
      onEvent: (e) => events.push(e),
      ...options,
    })
    return { sessions, events }
  }
  return {
    store,
    calls,
    clock,
    old: make({ schema: v1 }),
    next: make({ schema: v2, dataVersion: 2, migrate: { 1: toV2 } }),
    third: make({ schema: v3, dataVersion: 3, migrate: { 1: toV2, 2: toV3 } }),
    cached: make({ schema: v2, dataVersion: 2, migrate: { 1: toV2 }, cookieCache: true }),
  }
}

/** What `fn` throws (undefined when it returns). */
function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

/** Signs `user` in on `sessions` and returns the cookie. */
async function signIn<D extends SessionData>(sessions: Sessions<D>, user: string): Promise<string> {
  const session = await sessions.load()
  await session.login(user)
  return cookiePair((await session.commit()).cookies[0])
}

describe('migrate: older data is upgraded on load and stored with the next write', () => {
  it('runs the chain 1 → 2 → 3 on load, writes nothing for a read, and stores the upgrade with the next write', async () => {
    const { store, clock, old, third } = deploys()
    const cookie = await signIn(old.sessions, 'ann')
    const writer = await old.sessions.load({ cookie })
    writer.set('name', 'Ann')
    writer.set('age', '42')
    writer.set('theme', 'sepia')
    await writer.commit()
    const id = writer.id as string

    clock.advance(1_000)
    const reader = await third.sessions.load({ cookie })
    expect(reader.userId).toBe('ann')
    expect(reader.data).toEqual({ displayName: 'Ann', age: 42 })
    expect(reader.isDataNewer).toBe(false)
    await reader.commit()
    const stored = await store.get(id)
    expect(stored).toMatchObject({ data: { name: 'Ann', age: '42', theme: 'sepia' } })
    expect((stored as { dataVersion?: number }).dataVersion).toBeUndefined() // a read writes nothing

    const changer = await third.sessions.load({ cookie })
    changer.set('theme', 'dark')
    await changer.commit()
    expect(await store.get(id)).toMatchObject({
      data: { displayName: 'Ann', age: 42, theme: 'dark' },
      dataVersion: 3,
    })
    expect(third.events.filter((e) => e.type === 'session.data_migrated')).toEqual([
      { type: 'session.data_migrated', id, userId: 'ann', from: 1, to: 3, at: clock() },
    ])
    const again = await third.sessions.load({ cookie })
    expect(again.data).toEqual({ displayName: 'Ann', age: 42, theme: 'dark' })
  })

  it('a touch stores the upgrade too (no extra write: the touch was due anyway)', async () => {
    const { store, clock, old, next } = deploys()
    const cookie = await signIn(old.sessions, 'bo')
    const id = (await old.sessions.load({ cookie })).id as string
    clock.advance(61_000)
    const reader = await next.sessions.load({ cookie })
    await reader.commit()
    expect(await store.get(id)).toMatchObject({
      data: { displayName: 'anonymous' },
      dataVersion: 2,
      lastSeenAt: clock(),
    })
  })

  it('an older process’s write between the load and the upgrade is upgraded too, never overwritten', async () => {
    const { store, old, next } = deploys()
    const cookie = await signIn(old.sessions, 'cy')
    const first = await old.sessions.load({ cookie })
    first.set('name', 'Cy')
    await first.commit()

    const upgrading = await next.sessions.load({ cookie }) // displayName 'Cy' in memory
    const renaming = await old.sessions.load({ cookie }) // the old deploy, in the same moment
    renaming.set('name', 'Cyrus')
    await renaming.commit()
    upgrading.set('theme', 'dark')
    await upgrading.commit()

    expect(await store.get(upgrading.id as string)).toMatchObject({
      data: { displayName: 'Cyrus', theme: 'dark' },
      dataVersion: 2,
    })
    expect(upgrading.data).toEqual({ displayName: 'Cyrus', theme: 'dark' })
  })

  it('a write from a cache snapshot of upgraded data still stores the whole upgrade, never a half', async () => {
    const { store, calls, old, cached } = deploys()
    const cookie = await signIn(old.sessions, 'kim')
    const first = await old.sessions.load({ cookie })
    first.set('name', 'Kim')
    first.set('theme', 'x')
    await first.commit()
    const reader = await cached.sessions.load({ cookie }) // from the store: a snapshot of the upgraded copy goes out
    const snapshot = (await reader.commit()).cookies.map(cookiePair)
    expect(snapshot).toHaveLength(1)
    const reads = calls.get
    const writer = await cached.sessions.load({ cookie: [cookie, ...snapshot].join('; ') })
    expect(calls.get).toBe(reads) // loaded from the snapshot: it says version 2, the store still holds version 1
    writer.set('age', 3)
    await writer.commit()
    const stored = await store.get(writer.id as string)
    expect(stored).toMatchObject({ dataVersion: 2 })
    expect(stored && stored !== 'corrupt' && stored.data).toEqual({
      displayName: 'Kim',
      theme: 'x',
      age: 3,
    })
  })

  it('update() upgrades the stored data it reads, and applies this request’s pending deletes', async () => {
    const { store, old, next } = deploys()
    const cookie = await signIn(old.sessions, 'di')
    const first = await old.sessions.load({ cookie })
    first.set('name', 'Di')
    first.set('theme', 'x')
    await first.commit()
    const session = await next.sessions.load({ cookie })
    session.delete('theme')
    await session.update((draft) => ({ ...draft, age: 7 }))
    await session.commit()
    expect(await store.get(session.id as string)).toMatchObject({
      data: { displayName: 'Di', age: 7 },
      dataVersion: 2,
    })
    expect(next.events.filter((e) => e.type === 'session.data_migrated')).toHaveLength(1)
  })

  it('a migration that throws is the app’s bug: SESSION_DATA_INVALID, and the record is kept', async () => {
    const store = memoryStore()
    const base = { secret: TEST_SECRET, store, cookie: { secure: false } }
    const old = createSessions(base)
    const cookie = await signIn(old, 'ed')
    const broken = createSessions({
      ...base,
      dataVersion: 2,
      migrate: {
        1: () => {
          throw new Error('bug in the migration')
        },
      },
    })
    await expect(broken.load({ cookie })).rejects.toMatchObject({
      code: 'SESSION_DATA_INVALID',
      cause: expect.objectContaining({ message: 'bug in the migration' }),
    })
    expect((await old.load({ cookie })).userId).toBe('ed')
  })

  it('data that fails the schema at this process’s own version is still refused as invalid_data', async () => {
    const { store, clock, next } = deploys()
    const loose = createSessions({ secret: TEST_SECRET, store, cookie: { secure: false }, clock })
    const session = await loose.load()
    await session.login('fi')
    session.set('displayName', '') // fails v2's min(1)
    const cookie = cookiePair((await session.commit()).cookies[0])
    const id = session.id as string
    const raw = await store.get(id)
    // Mark it as version 2, as a v2 process with a looser schema would have written it.
    await store.patch(id, {
      set: {},
      unset: [],
      ttl: 60_000,
      dataVersion: 2,
      expectVersion: (raw as { version: number }).version,
    })
    const reader = await next.sessions.load({ cookie })
    expect(reader.isNew).toBe(true)
    expect(next.events).toMatchObject([{ type: 'session.rejected', reason: 'invalid_data', id }])
    expect(await store.get(id)).toBeNull()
  })
})

describe('loading', () => {
  it('data with an `issues` key is data, not a failed schema check', async () => {
    const store = memoryStore()
    const sessions = createSessions({ secret: TEST_SECRET, store, cookie: { secure: false } })
    const writer = await sessions.load()
    writer.set('issues', ['#27'])
    const cookie = cookiePair((await writer.commit()).cookies[0])
    const reader = await sessions.load({ cookie })
    expect(reader.isNew).toBe(false)
    expect(reader.data).toEqual({ issues: ['#27'] })
  })
})

describe('data from a newer deploy on an older process', () => {
  it('keeps the user signed in and the data intact; reads give {}, writes a 409, touches extend the session', async () => {
    const { store, clock, old, next } = deploys()
    const cookie = await signIn(next.sessions, 'gus')
    const writer = await next.sessions.load({ cookie })
    writer.set('displayName', 'Gus')
    writer.set('age', 30)
    await writer.commit()
    const id = writer.id as string

    clock.advance(61_000) // a touch is due
    const reader = await old.sessions.load({ cookie })
    expect(reader.userId).toBe('gus')
    expect(reader.isNew).toBe(false)
    expect(reader.isDataNewer).toBe(true)
    expect(reader.data).toEqual({})
    expect(reader.get('name')).toBeUndefined()
    expect(caught(() => reader.set('name', 'Gustav'))).toMatchObject({
      code: 'SESSION_CONFLICT',
      message: expect.stringMatching(/newer deploy \(data version 2; this process reads up to 1\)/),
    })
    expect(caught(() => reader.delete('name'))).toMatchObject({ code: 'SESSION_CONFLICT' })
    await expect(reader.update(() => ({}))).rejects.toMatchObject({ code: 'SESSION_CONFLICT' })
    const { cookies } = await reader.commit()
    expect(cookies).toEqual([]) // nothing cleared
    expect(await store.get(id)).toMatchObject({
      userId: 'gus',
      data: { displayName: 'Gus', age: 30 },
      dataVersion: 2,
      lastSeenAt: clock(), // the touch went through
    })
    expect(old.events).toEqual([
      {
        type: 'session.data_newer',
        id,
        userId: 'gus',
        dataVersion: 2,
        knownVersion: 1,
        at: clock(),
      },
    ])
    const back = await next.sessions.load({ cookie })
    expect(back.data).toEqual({ displayName: 'Gus', age: 30 })
  })

  it('regenerate() and login() on the older process carry the newer data and its version as they are', async () => {
    const { store, old, next } = deploys()
    const cookie = await signIn(next.sessions, 'hal')
    const writer = await next.sessions.load({ cookie })
    writer.set('displayName', 'Hal')
    await writer.commit()

    const rotating = await old.sessions.load({ cookie })
    await rotating.regenerate({ roles: ['admin'] })
    const rotated = cookiePair((await rotating.commit()).cookies[0])
    expect(await store.get(rotating.id as string)).toMatchObject({
      roles: ['admin'],
      data: { displayName: 'Hal' },
      dataVersion: 2,
    })
    const relogin = await old.sessions.load({ cookie: rotated })
    await relogin.login('hal')
    const again = cookiePair((await relogin.commit()).cookies[0])
    const seen = await next.sessions.load({ cookie: again })
    expect(seen.userId).toBe('hal')
    expect(seen.data).toEqual({ displayName: 'Hal' })
  })

  it('an older process’s write loses to an upgrade that happened after its load: SESSION_CONFLICT, nothing overwritten', async () => {
    const { store, old, next } = deploys()
    const cookie = await signIn(old.sessions, 'ida')
    const stale = await old.sessions.load({ cookie }) // version 1 data
    const upgrading = await next.sessions.load({ cookie })
    upgrading.set('displayName', 'Ida')
    await upgrading.commit()
    stale.set('name', 'Ida Old')
    await expect(stale.commit()).rejects.toMatchObject({ code: 'SESSION_CONFLICT' })
    expect(await store.get(upgrading.id as string)).toMatchObject({
      data: { displayName: 'Ida' },
      dataVersion: 2,
    })
    expect((await next.sessions.load({ cookie })).userId).toBe('ida')
  })
})

describe('sealed cookies carry the data version', () => {
  it('upgrades a version 1 cookie on write, and an older process keeps a newer cookie', async () => {
    const base = { secret: TEST_SECRET, store: sealedCookies(), cookie: { secure: false } }
    const old = createSessions({ ...base, schema: v1 })
    const next = createSessions({ ...base, schema: v2, dataVersion: 2, migrate: { 1: toV2 } })
    const first = await old.load()
    first.set('name', 'Jo')
    const v1Cookie = cookiePair((await first.commit()).cookies[0])
    const upgraded = await next.load({ cookie: v1Cookie })
    expect(upgraded.data).toEqual({ displayName: 'Jo' })
    upgraded.set('age', 5)
    const v2Cookie = cookiePair((await upgraded.commit()).cookies[0])
    const onOld = await old.load({ cookie: v2Cookie })
    expect(onOld.isNew).toBe(false)
    expect(onOld.isDataNewer).toBe(true)
    expect((await onOld.commit()).cookies).toEqual([])
    expect((await next.load({ cookie: v2Cookie })).data).toEqual({ displayName: 'Jo', age: 5 })
  })
})

describe('configuration errors throw at createSessions()', () => {
  const base = { secret: TEST_SECRET, store: memoryStore() }
  const cases: Array<[string, Partial<SessionsOptions>, RegExp]> = [
    ['a fractional dataVersion', { dataVersion: 1.5 }, /dataVersion must be a whole number from 1/],
    ['dataVersion 0', { dataVersion: 0 }, /dataVersion must be a whole number/],
    ['a text dataVersion', { dataVersion: '2' as never }, /dataVersion must be a whole number/],
    [
      'dataVersion without migrate',
      { dataVersion: 2 },
      /migrate\[1\] \(version 1 → 2\) is missing.*add migrate: \{ 1: \(data\) =>/,
    ],
    [
      'a gap in the chain',
      { dataVersion: 4, migrate: { 1: toV2, 3: toV3 } },
      /migrate\[2\] \(version 2 → 3\) is missing/,
    ],
    [
      'a step at or past dataVersion',
      { dataVersion: 2, migrate: { 1: toV2, 2: toV3 } },
      /migrate\[2\] upgrades version 2 to 3, but dataVersion is 2: set dataVersion: 3/,
    ],
    ['migrate without dataVersion', { migrate: { 1: toV2 } }, /but dataVersion is 1/],
    [
      'a key that is not a version',
      { dataVersion: 2, migrate: { 1: toV2, one: toV2 } as never },
      /migrate keys are the data versions/,
    ],
    [
      'a step that is not a function',
      { dataVersion: 2, migrate: { 1: 'rename' } as never },
      /migrate\[1\] must be a function/,
    ],
    [
      'migrate as a list',
      { dataVersion: 2, migrate: [toV2] as never },
      /migrate must be an object/,
    ],
  ]
  it.each(cases)('%s', (_name, options, message) => {
    expect(caught(() => createSessions({ ...base, ...options }))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(message),
    })
  })

  it('a store that does not keep data versions is refused above version 1', () => {
    const inner = memoryStore()
    const custom: Store = {
      kind: 'custom',
      get: (id) => inner.get(id),
      create: (record, options) => inner.create(record, options),
      patch: (id, patch) => inner.patch(id, patch),
      destroy: (id) => inner.destroy(id),
      listByUser: (userId) => inner.listByUser(userId),
      revoke: (userId, options) => inner.revoke(userId, options),
    }
    expect(() => createSessions({ secret: TEST_SECRET, store: custom })).not.toThrow()
    const options = { secret: TEST_SECRET, store: custom, dataVersion: 2, migrate: { 1: toV2 } }
    expect(caught(() => createSessions(options))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/the custom store does not keep data versions/),
    })
  })
})
