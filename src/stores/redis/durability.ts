// Durable writes on replicated Redis: the script, then WAIT on the same connection; acknowledged only once replicas have it.
import { checkOptionKeys, configError, HallpassError } from '../../errors.ts'
import { errorCode, unavailableFrom, type RedisDriver } from './client.ts'
import type { Script } from './scripts.ts'

/** `redisStore({ durability })`: which writes wait for replicas, how many, and for how long. */
export interface DurabilityOptions {
  /** Replicas that must have the write before it is acknowledged (Redis `WAIT numreplicas`). At least 1. */
  replicas: number
  /** Milliseconds to wait for them; then the write fails closed (`STORE_UNAVAILABLE`). Below `commandTimeoutMs`. @default 500 */
  timeoutMs?: number
  /**
   * Wait on every write, data writes and touches included, instead of only the writes that protect users. For a
   * store that holds only revocations (the `revocation` store of `sealedCookies()`). @default false
   */
  allWrites?: boolean
}

/** The checked settings. */
export interface Durability {
  readonly replicas: number
  readonly timeoutMs: number
  readonly allWrites: boolean
}

const KNOWN = ['replicas', 'timeoutMs', 'allWrites']

/**
 * Checks `durability` against the client and the command timeout (the WAIT must end before it), or throws
 * CONFIG_INVALID saying how to fix it. Undefined when durability is off.
 */
export function durabilityOption(
  value: unknown,
  driver: RedisDriver,
  commandTimeoutMs: number,
): Durability | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null)
    configError('redisStore durability must be an object, e.g. { replicas: 1, timeoutMs: 500 }')
  const options = value as Record<string, unknown>
  checkOptionKeys('redisStore durability', options, KNOWN)
  const { replicas, timeoutMs = 500, allWrites = false } = options
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1 || replicas > 16)
    configError(
      'redisStore durability.replicas must be an integer from 1 to 16: the number of replicas that must have a write before it counts (WAIT); to turn durability off, leave durability out',
    )
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1)
    configError(
      'redisStore durability.timeoutMs must be a whole number of milliseconds, at least 1',
    )
  if (timeoutMs >= commandTimeoutMs)
    configError(
      `redisStore durability.timeoutMs (${timeoutMs}) must be below commandTimeoutMs (${commandTimeoutMs}), which bounds the write and its WAIT together: lower timeoutMs or raise commandTimeoutMs`,
    )
  if (typeof allWrites !== 'boolean')
    configError('redisStore durability.allWrites must be true or false')
  if (!driver.canPipeline)
    configError(
      `redisStore durability needs a client that can send a pipeline (node-redis multi(), ioredis pipeline()): the WAIT must follow the write on the same connection. This ${driver.library} ${driver.kind} has none`,
    )
  return { replicas, timeoutMs, allWrites }
}

/**
 * Runs `script` and then `WAIT replicas timeoutMs` in one pipeline, on the connection that ran the script (on
 * Cluster, the primary owning the slot of `keys[0]`). Resolves with the script's reply once enough replicas
 * acknowledged; otherwise STORE_UNAVAILABLE. The write may then still have happened on the primary: it is
 * reported as failed all the same (fail closed), which for a logout or a revocation means the app answers 503.
 */
export async function durableScript(
  driver: RedisDriver,
  durability: Durability,
  script: Script,
  keys: string[],
  args: string[],
): Promise<unknown> {
  const key = keys[0] as string
  const tail = [String(keys.length), ...keys, ...args]
  const wait = ['WAIT', String(durability.replicas), String(durability.timeoutMs)]
  let replies: unknown[]
  try {
    replies = await driver.pipeline(key, [['EVALSHA', script.sha, ...tail], wait])
  } catch (err) {
    if (err instanceof HallpassError || errorCode(err) !== 'NOSCRIPT')
      throw unavailableFrom(err, `script ${script.name} failed`)
    try {
      replies = await driver.pipeline(key, [['EVAL', script.source, ...tail], wait])
    } catch (again) {
      throw unavailableFrom(again, `script ${script.name} failed`)
    }
  }
  const acknowledged = Number(replies[1])
  if (!(acknowledged >= durability.replicas)) {
    throw new HallpassError(
      'STORE_UNAVAILABLE',
      `the Redis session store is unavailable: the write reached ${acknowledged} of the ${durability.replicas} replica(s) required within ${durability.timeoutMs} ms (durability)`,
    )
  }
  return replies[0]
}
