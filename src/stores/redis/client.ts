// One calling convention over node-redis (client, cluster, sentinel) and ioredis (Redis, Cluster): timeouts, EVALSHA, errors.
import { configError, HallpassError } from '../../errors.ts'
import type { Script } from './scripts.ts'
import { listenForErrors, stopListeningForErrors } from '../error-listener.ts'

/** The parts of a node-redis v5 or v6 client (`createClient()`) this store uses. */
export interface NodeRedisClientLike {
  sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown>
  readonly isOpen: boolean
  readonly isReady: boolean
}

/** The parts of a node-redis v5 or v6 cluster (`createCluster()`) this store uses. */
export interface NodeRedisClusterLike {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
    options?: { timeout?: number },
  ): Promise<unknown>
  readonly masters: readonly unknown[]
}

/** The parts of a node-redis v5 or v6 Sentinel client (`createSentinel()`) this store uses. */
export interface NodeRedisSentinelLike {
  sendCommand(
    isReadonly: boolean | undefined,
    args: string[],
    options?: { timeout?: number },
  ): Promise<unknown>
  getMasterNode(): unknown
  readonly isOpen: boolean
  readonly isReady: boolean
}

/** The parts of an ioredis `Redis` (one server, or a primary found through `sentinels`) or `Cluster` this store uses. */
export interface IoRedisLike {
  call(command: string, args: string[]): Promise<unknown>
  readonly status: string
  readonly isCluster: boolean
}

/**
 * A node-redis v5/v6 client, cluster or Sentinel client, or an ioredis `Redis` or `Cluster`. The kind is detected
 * at runtime.
 */
export type RedisClientLike =
  NodeRedisClientLike | NodeRedisClusterLike | NodeRedisSentinelLike | IoRedisLike

/** A node-redis pipeline (`multi()` sent with `execAsPipeline()`): one connection, commands in order. */
interface NodeRedisPipeline {
  addCommand(...args: unknown[]): NodeRedisPipeline
  execAsPipeline(): Promise<unknown[]>
}

/** An ioredis pipeline; on Cluster it goes to the node owning the slot of its keyed commands. */
interface IoRedisPipeline {
  exec(): Promise<Array<[Error | null, unknown]> | null>
}

/**
 * Per-command options for node-redis: no client-side timeout. `raw()` already bounds every command with one
 * timer of ours; node-redis 6 would otherwise arm an AbortSignal timer per command (its default 5 s
 * `commandOptions.timeout`), which costs more CPU than the command itself. A falsy timeout arms nothing on 5 or 6.
 */
const NO_CLIENT_TIMEOUT = Object.freeze({ timeout: 0 })

/** ioredis states in which a command would only wait in the offline queue (and might run long after we gave up). */
const IOREDIS_DOWN = new Set(['reconnecting', 'close', 'end', 'disconnecting'])

/** The code of a Redis error reply (its first word: NOSCRIPT, WRONGTYPE...), or the empty string. */
export function errorCode(err: unknown): string {
  const message = err instanceof Error ? err.message : ''
  return /^[A-Z]+(?= |$)/.exec(message)?.[0] ?? ''
}

function unavailable(reason: string, cause?: unknown): HallpassError {
  return new HallpassError(
    'STORE_UNAVAILABLE',
    `the Redis session store is unavailable: ${reason}`,
    cause === undefined ? {} : { cause },
  )
}

/** `err` as STORE_UNAVAILABLE (HallpassErrors pass through unchanged). */
export function unavailableFrom(err: unknown, reason: string): HallpassError {
  return err instanceof HallpassError ? err : unavailable(reason, err)
}

/** Sends commands to whichever client was given, each bounded by `timeout` milliseconds. */
export class RedisDriver {
  /** 'node-redis' or 'ioredis'. */
  readonly library: 'node-redis' | 'ioredis'
  /** True for node-redis `createCluster` and ioredis `Cluster`: scripts must stay within one hash slot. */
  readonly cluster: boolean
  /** What the client is, for messages: 'client', 'cluster', 'sentinel'. */
  readonly kind: 'client' | 'cluster' | 'sentinel'
  private readonly send: (key: string, args: string[]) => Promise<unknown>
  /** Sends commands back to back on one connection, to the node owning `key`; undefined when the client cannot. */
  private readonly pipe: ((key: string, commands: string[][]) => Promise<unknown[]>) | undefined
  private readonly down: () => boolean
  private released = false

  constructor(
    private readonly client: RedisClientLike,
    private readonly timeout: number,
  ) {
    const given: unknown = client
    if (typeof given !== 'object' || given === null)
      configError(
        'redisStore needs { client }: a connected node-redis or ioredis client or cluster',
      )
    const c = given as Record<string, unknown> // read for duck typing only: which library made it
    if (typeof c.call === 'function' && typeof c.status === 'string') {
      const io = client as IoRedisLike
      this.library = 'ioredis'
      this.cluster = io.isCluster === true
      this.kind = this.cluster ? 'cluster' : 'client'
      this.send = (_key, [command, ...args]) => io.call(command as string, args)
      this.pipe = ioredisPipe(c)
      this.down = () => IOREDIS_DOWN.has(io.status)
      checkIoRedisOptions(c.options, this.cluster)
    } else if (typeof c.sendCommand === 'function' && 'masters' in c) {
      const cluster = client as NodeRedisClusterLike
      this.library = 'node-redis'
      this.cluster = true
      this.kind = 'cluster'
      // isReadonly=false: reads go to the master too, so a revoked session is never read back from a lagging replica.
      this.send = (key, args) => cluster.sendCommand(key, false, args, NO_CLIENT_TIMEOUT)
      this.pipe = nodeRedisPipe(
        c,
        (key) => [key],
        (key, args) => [key, false, args],
      )
      this.down = () => false
    } else if (typeof c.sendCommand === 'function' && typeof c.getMasterNode === 'function') {
      const sentinel = client as NodeRedisSentinelLike
      this.library = 'node-redis'
      this.cluster = false
      this.kind = 'sentinel'
      // isReadonly=false: always the primary, even with `replicaPoolSize` > 0.
      this.send = (_key, args) => sentinel.sendCommand(false, args, NO_CLIENT_TIMEOUT)
      this.pipe = nodeRedisPipe(
        c,
        () => [],
        (_key, args) => [false, args],
      )
      this.down = () => sentinel.isOpen && !sentinel.isReady
    } else if (typeof c.sendCommand === 'function' && 'isReady' in c) {
      const single = client as NodeRedisClientLike
      this.library = 'node-redis'
      this.cluster = false
      this.kind = 'client'
      this.send = (_key, args) => single.sendCommand(args, NO_CLIENT_TIMEOUT)
      this.pipe = nodeRedisPipe(
        c,
        () => [],
        (_key, args) => [args],
      )
      this.down = () => single.isOpen && !single.isReady
    } else {
      configError(
        'redisStore client must be a node-redis (v5 or v6) client, cluster or Sentinel client (createClient/createCluster/createSentinel) or an ioredis Redis or Cluster',
      )
    }
    listenForErrors(client)
  }

  /** Sends one command routed by `key`, rejecting with STORE_UNAVAILABLE on any failure or after the timeout. */
  async command(key: string, args: string[]): Promise<unknown> {
    try {
      return await this.raw(key, args)
    } catch (err) {
      throw unavailableFrom(err, `${args[0]} failed`)
    }
  }

  /** Runs a script with EVALSHA, loading it with EVAL when this node has not seen it (NOSCRIPT). */
  async script(script: Script, keys: string[], args: string[]): Promise<unknown> {
    const command = ['EVALSHA', script.sha, String(keys.length), ...keys, ...args]
    const key = keys[0] as string
    try {
      return await this.raw(key, command)
    } catch (err) {
      if (err instanceof HallpassError) throw err
      if (errorCode(err) !== 'NOSCRIPT') throw unavailable(`script ${script.name} failed`, err)
    }
    return this.command(key, ['EVAL', script.source, ...command.slice(2)])
  }

  /** Like `command`, but leaves Redis error replies (such as WRONGTYPE) to the caller. */
  raw(key: string, args: string[]): Promise<unknown> {
    return this.bounded(() => this.send(key, args))
  }

  /** Whether `pipeline` works with this client (node-redis `multi()`, ioredis `pipeline()`). */
  get canPipeline(): boolean {
    return this.pipe !== undefined
  }

  /**
   * Sends `commands` back to back on one connection (on Cluster, the one to the primary owning `key`'s slot), all
   * within one timeout. Resolves with their replies; rejects with the first error reply, or STORE_UNAVAILABLE.
   */
  pipeline(key: string, commands: string[][]): Promise<unknown[]> {
    const pipe = this.pipe
    if (pipe === undefined) return Promise.reject(unavailable('this client cannot send a pipeline'))
    return this.bounded(() => pipe(key, commands))
  }

  /**
   * Runs `send` unless the client is reconnecting, rejecting with STORE_UNAVAILABLE after the timeout. One promise and
   * one timer per command (not an async frame around a race of two): it runs twice on every write.
   */
  private bounded<T>(send: () => Promise<T>): Promise<T> {
    if (this.down())
      return Promise.reject(unavailable('not connected (the client is reconnecting)'))
    const timeout = this.timeout
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(unavailable(`no reply within ${timeout} ms`)), timeout)
      timer.unref?.()
      let sent: Promise<T>
      try {
        sent = send()
      } catch (err) {
        clearTimeout(timer)
        return reject(err)
      }
      // A reply that arrives after the timeout settles nothing: the promise has already been rejected.
      sent.then(
        (reply) => (clearTimeout(timer), resolve(reply)),
        (err: unknown) => (clearTimeout(timer), reject(err)),
      )
    })
  }

  /** Stops listening for the client's errors once no store uses it; the client itself stays open (the app owns it). */
  release(): void {
    if (this.released) return
    this.released = true
    stopListeningForErrors(this.client)
  }
}

/** Refuses ioredis settings that send hallpass's reads or writes to a replica, which may lag behind a revocation. */
function checkIoRedisOptions(options: unknown, cluster: boolean): void {
  const { scaleReads, role } = (options ?? {}) as { scaleReads?: unknown; role?: unknown }
  if (cluster && scaleReads !== undefined && scaleReads !== 'master')
    configError(
      `redisStore: this ioredis Cluster reads from replicas (scaleReads: ${JSON.stringify(scaleReads)}), which may still hold a revoked session; give the store a Cluster with scaleReads: 'master' (the default)`,
    )
  if (role === 'slave')
    configError(
      "redisStore: this ioredis client connects to a replica (role: 'slave'), which refuses writes and may lag behind a revocation; use role: 'master' (the default)",
    )
}

/** A node-redis pipeline sender: `multi(...routing(key))`, each command added as `command(key, args)`. */
function nodeRedisPipe(
  client: Record<string, unknown>,
  routing: (key: string) => unknown[],
  command: (key: string, args: string[]) => unknown[],
): ((key: string, commands: string[][]) => Promise<unknown[]>) | undefined {
  if (typeof client.multi !== 'function') return undefined
  const multi = client.multi as (...routing: unknown[]) => NodeRedisPipeline
  return (key, commands) => {
    let pipeline = multi.call(client, ...routing(key))
    for (const args of commands) pipeline = pipeline.addCommand(...command(key, args))
    return pipeline.execAsPipeline()
  }
}

/** An ioredis pipeline sender; error replies come back in the reply list, and the first one is thrown. */
function ioredisPipe(
  client: Record<string, unknown>,
): ((key: string, commands: string[][]) => Promise<unknown[]>) | undefined {
  if (typeof client.pipeline !== 'function') return undefined
  const pipeline = client.pipeline as (commands: string[][]) => IoRedisPipeline
  return async (_key, commands) => {
    const calls = commands.map((args) => ['call', ...args])
    const replies = (await pipeline.call(client, calls).exec()) ?? []
    const failed = replies.find(([err]) => err !== null)
    if (failed) throw failed[0]
    return replies.map(([, reply]) => reply)
  }
}
