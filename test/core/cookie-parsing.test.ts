// Cookie header parsing is linear: the work sessions.load() does on a hostile header is counted, not timed.
import { describe, expect, it } from 'vitest'
import { testSessions } from '../support/sessions.ts'

/** Characters scanned or copied by the string methods a parser uses, counted while `run` executes. */
async function work(run: () => Promise<unknown>): Promise<number> {
  const proto = String.prototype
  const saved = {
    indexOf: proto.indexOf,
    slice: proto.slice,
    charCodeAt: proto.charCodeAt,
    replace: proto.replace,
    startsWith: proto.startsWith,
  }
  let count = 0
  proto.indexOf = function (this: string, search: string, from = 0) {
    const at = saved.indexOf.call(this, search, from)
    count += (at === -1 ? this.length : at + search.length) - Math.max(0, from)
    return at
  }
  proto.slice = function (this: string, start?: number, end?: number) {
    const out = saved.slice.call(this, start, end)
    count += out.length
    return out
  }
  proto.charCodeAt = function (this: string, index: number) {
    count += 1
    return saved.charCodeAt.call(this, index)
  }
  proto.replace = function (this: string, ...args: [never, never]) {
    count += this.length // a regex replace reads the whole string at least once
    return saved.replace.apply(this, args)
  }
  proto.startsWith = function (this: string, search: string, from?: number) {
    count += search.length
    return saved.startsWith.call(this, search, from)
  }
  try {
    await run()
  } finally {
    Object.assign(proto, saved)
  }
  return count
}

const KIB = 1024
const SHAPES: Record<string, (bytes: number) => string> = {
  'only semicolons': (n) => ';'.repeat(n),
  'name=value pairs': (n) => 'a=1; '.repeat(n / 5),
  '=; repeated': (n) => '=;'.repeat(n / 2),
  'blanks before the name': (n) => `${' '.repeat(n - 4)}hp=1`,
  'tabs then a semicolon': (n) => `${'\t'.repeat(63)};`.repeat(n / 64),
}

describe('cookie header parsing', () => {
  it.each(Object.entries(SHAPES))(
    '%s: the work grows linearly from 64 KiB to 256 KiB',
    async (_shape, make) => {
      const { sessions } = testSessions()
      const small = make(64 * KIB)
      const large = make(256 * KIB)
      const smallWork = await work(() => sessions.load({ cookie: small }))
      const largeWork = await work(() => sessions.load({ cookie: large }))
      // Linear: 4x the input costs about 4x the work (quadratic would be 16x); and never more than a few passes over it.
      expect(largeWork / smallWork).toBeLessThan(4.5)
      expect(largeWork).toBeLessThan(large.length * 8)
    },
  )

  it('still finds the cookie, and still fails closed on a duplicate, after 256 KiB of semicolons', async () => {
    const { sessions, events } = testSessions()
    const first = await sessions.load()
    first.set('n', 1)
    const pair = ((await first.commit()).cookies[0] as string).split(';')[0] as string
    expect((await sessions.load({ cookie: `${';'.repeat(256 * KIB)} ${pair}` })).get('n')).toBe(1)
    expect((await sessions.load({ cookie: `${pair};${';'.repeat(256 * KIB)}${pair}` })).isNew).toBe(
      true,
    )
    expect(events.at(-1)).toMatchObject({ type: 'session.rejected', reason: 'duplicate_cookie' })
  })
})
