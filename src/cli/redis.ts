// The CLI's Redis store: the app's prefix, checked to hold hallpass keys before any command runs.
import { createClient } from 'redis'
import { DEFAULT_PREFIX, HALLPASS_KEY } from '../stores/redis/codec.ts'
import { redisStore } from '../stores/redis/index.ts'
import { escapeGlob } from '../stores/redis/stats.ts'
import { MissingStoreError, type OpenedStore } from './stores.ts'

type Client = ReturnType<typeof createClient>

/** Keys SCAN looks at per step. */
const SCAN_COUNT = '1000'
/** How many other prefixes the error names. */
const SHOWN_PREFIXES = 5

/**
 * Connects to `url` and opens the store under `prefix`. Redis has no schema to check, so a prefix counts as
 * there when it holds at least one hallpass key (a session, a tombstone or a user index); otherwise this
 * throws MissingStoreError naming the prefixes that do hold some. Nothing is written.
 */
export async function openRedis(
  url: string,
  prefix: string = DEFAULT_PREFIX,
): Promise<OpenedStore> {
  const client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } })
  client.on('error', () => undefined)
  await client.connect()
  try {
    const store = redisStore({ client, prefix })
    await requirePrefix(client, prefix)
    return { store, close: async () => (await store.close(), await client.close()) }
  } catch (error) {
    await client.close()
    throw error
  }
}

async function requirePrefix(client: Client, prefix: string): Promise<void> {
  if (await scanPrefixes(client, `${escapeGlob(prefix)}{*`, (found) => found === prefix)) return
  const others = new Set<string>()
  await scanPrefixes(client, '*{????}*', (found) => others.add(found).size >= SHOWN_PREFIXES)
  const seen =
    others.size === 0
      ? 'no hallpass keys on this server'
      : `hallpass keys are under ${quoted(others)}`
  throw new MissingStoreError(
    `no hallpass sessions under prefix '${prefix}' (${seen}); pass --prefix PREFIX, the prefix the app gives ` +
      'redisStore({ prefix }). An app whose sessions have all ended looks the same: then there is nothing to do.',
  )
}

function quoted(names: Iterable<string>): string {
  return [...names].map((name) => `'${name}'`).join(', ')
}

/** SCANs the keys that match `match`; true as soon as `stop` is true for the prefix of a hallpass key. */
async function scanPrefixes(
  client: Client,
  match: string,
  stop: (prefix: string) => boolean,
): Promise<boolean> {
  let cursor = '0'
  do {
    const reply: unknown = await client.sendCommand([
      'SCAN',
      cursor,
      'MATCH',
      match,
      'COUNT',
      SCAN_COUNT,
    ])
    const [next, keys] = reply as [string, string[]]
    cursor = String(next)
    for (const key of keys) {
      const found = HALLPASS_KEY.exec(String(key))?.[1]
      if (found !== undefined && stop(found)) return true
    }
  } while (cursor !== '0')
  return false
}
