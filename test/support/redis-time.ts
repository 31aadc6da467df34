// Moves time forward inside real redis-servers for the keys under one prefix: their TTLs and index scores shrink.
import { Redis } from 'ioredis'

/*
 * Redis keeps time with its own clock, which a test cannot inject. What the store reads of that clock is each key's
 * remaining TTL (PTTL) and the user index's expiry scores (compared with TIME). Lowering both by `ms`, and deleting
 * the keys whose TTL runs out, is exactly what `ms` of waiting would do to those keys, without waiting.
 */
const SHIFT = `
local ms = tonumber(ARGV[1])
if redis.call('TYPE', KEYS[1]).ok == 'zset' then
  local list = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  for i = 1, #list, 2 do redis.call('ZADD', KEYS[1], string.format('%.0f', tonumber(list[i + 1]) - ms), list[i]) end
end
local left = redis.call('PTTL', KEYS[1])
if left > 0 then
  if left <= ms then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], left - ms) end
end
return left
`

/** Connections to every node of one deployment (a standalone server, or each master of a Cluster). */
export class RedisTime {
  private readonly nodes: Redis[]

  constructor(ports: readonly number[]) {
    this.nodes = ports.map((port) => new Redis(port, '127.0.0.1', { lazyConnect: false }))
  }

  /** Ages every key whose name starts with `prefix` by `ms`, on every node. */
  async advance(prefix: string, ms: number): Promise<void> {
    for (const node of this.nodes) {
      let cursor = '0'
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        for (const key of keys) await node.eval(SHIFT, 1, key, String(ms))
        cursor = next
      } while (cursor !== '0')
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.nodes.map((node) => node.quit()))
  }
}
