// The cookie cache's write log: which snapshots may be sent or read, in bounded memory.
import { describe, expect, it } from 'vitest'
import { WriteLog } from '../../src/core/cookie-cache-log.ts'

const TTL = 30_000

describe('cookie cache write log', () => {
  it('a request may send its snapshot only when no other write of the session came after its load', () => {
    const log = new WriteLog(TTL)
    const a = log.ticket({ id: 's', version: 1 }, 0)
    const b = log.ticket(null, 0)
    log.wrote(a, 's', 2, false, 0)
    expect(log.current(a, 's')).toBe(true)
    expect(log.current(b, 's')).toBe(false) // a read-only request that loaded before A's write
    log.wrote(b, 's', 2, false, 0)
    expect(log.current(b, 's')).toBe(false) // B's copy misses A's write
    expect(log.current(a, 's')).toBe(false) // and A's snapshot is no longer the latest
    log.wrote(b, 's', 3, true, 0) // update(): a compare-and-swap on the stored data
    expect(log.current(b, 's')).toBe(true)
  })

  it('refuses a snapshot built here before a later write, or older than a version seen here, or of an ended session', () => {
    const log = new WriteLog(TTL)
    const a = log.ticket(null, 0)
    log.wrote(a, 's', 2, false, 0)
    const builtAt = a.seen
    expect(log.outdated('s', 2, builtAt)).toBe(false)
    log.wrote(log.ticket(null, 0), 's', 3, false, 0)
    expect(log.outdated('s', 2, builtAt)).toBe(true)
    expect(log.outdated('s', 2, undefined)).toBe(true) // built on another instance, older than version 3
    expect(log.outdated('s', 3, undefined)).toBe(false)
    log.end('s', 0)
    expect(log.outdated('s', 3, undefined)).toBe(true)
  })

  it('forgets a session ttl after its last write', () => {
    const log = new WriteLog(TTL)
    for (let i = 0; i < 1000; i++) log.wrote(log.ticket(null, i), `s${i}`, 2, false, i)
    expect(log.size).toBe(1000)
    log.wrote(log.ticket(null, TTL + 500), 'late', 2, false, TTL + 500)
    expect(log.size).toBe(500) // s0..s500 are past their ttl; s501..s999 and late remain
  })

  it('holds at most max sessions, and a request older than a dropped write never sends its snapshot', () => {
    const log = new WriteLog(TTL, 3)
    const old = log.ticket(null, 0) // loads s0, then runs while 9 other sessions are written
    for (let i = 0; i < 10; i++) log.wrote(log.ticket(null, 0), `s${i}`, 2, false, 0)
    expect(log.size).toBe(3)
    expect(log.current(old, 's0')).toBe(false) // s0's write was dropped: its absence counts as a write
    expect(log.current(log.ticket(null, 0), 's0')).toBe(true) // a request loading now is current
    expect(log.outdated('s0', 2, old.seen)).toBe(true)
  })
})
