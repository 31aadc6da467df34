// `stats()` for the Redis store: SCAN the prefix, read each session's user and remaining TTL, tally.
import { HallpassError } from '../../errors.ts'
import { StatsTally, type StoreStats } from '../stats.ts'
import type { RedisDriver } from './client.ts'

/** Keys SCAN returns per step: big enough to be quick, small enough not to stall Redis. */
const SCAN_COUNT = '500'

/** `text` with the glob characters of SCAN MATCH escaped. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`)
}

function text(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value)
}

/**
 * Counts live sessions under `prefix` on a standalone Redis. Session keys are `<prefix>{<tag>}<rest>`; user
 * indexes (`...}u:<userId>`) and anything else under the prefix are skipped. NOT_SUPPORTED on Cluster.
 */
export async function redisStats(
  driver: RedisDriver,
  prefix: string,
  withinMs: number,
): Promise<StoreStats> {
  if (driver.cluster)
    throw new HallpassError(
      'NOT_SUPPORTED',
      'redisStore stats() scans one server: run it against each Cluster master instead',
    )
  const sessionKey = new RegExp(
    `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{[A-Za-z0-9_-]+\\}[A-Za-z0-9_-]+$`,
  )
  const tally = new StatsTally(withinMs)
  let cursor = '0'
  do {
    const reply = (await driver.command(prefix, [
      'SCAN',
      cursor,
      'MATCH',
      `${escapeGlob(prefix)}{*`,
      'COUNT',
      SCAN_COUNT,
    ])) as [unknown, unknown[]]
    cursor = text(reply[0])
    const keys = reply[1].map(text).filter((key) => sessionKey.test(key))
    const facts = await Promise.all(
      keys.map((key) =>
        Promise.all([driver.command(key, ['HGET', key, 'u']), driver.command(key, ['PTTL', key])]),
      ),
    )
    for (const [userId, pttl] of facts) {
      const left = Number(pttl)
      if (left === -2) continue // expired between SCAN and PTTL
      tally.add(
        userId === null || userId === undefined ? null : text(userId),
        left < 0 ? Number.POSITIVE_INFINITY : left,
      )
    }
  } while (cursor !== '0')
  return tally.result()
}
