// The Redis Store: one HGETALL per load, one script per commit, and a per-user index kept in the user's hash slot.
import { isSessionId, userTag } from '../../crypto/token.ts'
import type {
  CreateOptions,
  PatchResult,
  RevokeOptions,
  SessionPatch,
  SessionRecord,
  Store,
  StoreStats,
} from '../types.ts'
import { HallpassError } from '../../errors.ts'
import { errorCode, unavailableFrom, type RedisDriver } from './client.ts'
import { dataField, dataValue, decodeHash, deviceFields, encodeHash, Keys, tagOf } from './codec.ts'
import { durableScript, type Durability } from './durability.ts'
import { SCRIPTS } from './scripts.ts'
import { redisStats } from './stats.ts'

const PATCH_RESULTS: Record<number, PatchResult> = { 0: 'missing', 1: 'ok', 2: 'conflict' }

/** A TTL in whole milliseconds (at least 1), checked here so a script never fails between two writes. */
function ms(value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new HallpassError(
      'INVALID_ARGUMENT',
      'redisStore: ttl must be a finite number of milliseconds',
    )
  return String(Math.max(1, Math.ceil(value)))
}

function integer(value: number | undefined, what: string): string {
  if (value === undefined) return ''
  if (!Number.isSafeInteger(value))
    throw new HallpassError('INVALID_ARGUMENT', `redisStore: ${what} must be an integer`)
  return String(value)
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)))
    : []
}

/** The Store contract on Redis. Build it with `redisStore()`. */
export class RedisStore implements Store {
  readonly kind = 'redis'
  private readonly keys: Keys
  /** '1' on Cluster: scripts then leave sessions of other hash slots to a second step. */
  private readonly strict: string

  constructor(
    private readonly driver: RedisDriver,
    prefix: string,
    /** When set, the writes that protect users are acknowledged only once replicas have them (WAIT). */
    private readonly durability?: Durability,
  ) {
    this.keys = new Keys(prefix)
    this.strict = driver.cluster ? '1' : '0'
  }

  /** Whether keys with these two tags can be touched by one script. */
  private together(tagA: string, tagB: string): boolean {
    return !this.driver.cluster || tagA === tagB
  }

  /**
   * Runs a script. `protecting` marks the writes that protect users (login, rotation, logout, revocation, the
   * session cap, device binding): with `durability` they wait for replicas; data writes and touches never do.
   */
  private run(
    script: keyof typeof SCRIPTS,
    keys: string[],
    args: string[],
    protecting = false,
  ): Promise<unknown> {
    const all = [this.keys.prefix, this.strict, ...args]
    const durability = this.durability
    if (durability !== undefined && (protecting || durability.allWrites))
      return durableScript(this.driver, durability, SCRIPTS[script], keys, all)
    return this.driver.script(SCRIPTS[script], keys, all)
  }

  /** One PING; STORE_UNAVAILABLE when Redis does not answer within the command timeout. */
  async ping(): Promise<void> {
    await this.driver.command(this.keys.prefix, ['PING'])
  }

  async get(id: string): Promise<SessionRecord | null | 'corrupt'> {
    if (!isSessionId(id)) return null
    const key = this.keys.session(id)
    let record: SessionRecord | null | 'corrupt'
    try {
      record = decodeHash(id, await this.driver.raw(key, ['HGETALL', key]))
    } catch (err) {
      if (errorCode(err) !== 'WRONGTYPE') throw unavailableFrom(err, 'HGETALL failed')
      record = 'corrupt' // not a hash: something other than hallpass wrote this key
    }
    if (record === 'corrupt') await this.driver.command(key, ['DEL', key])
    return record
  }

  async create(record: SessionRecord, options: CreateOptions): Promise<{ evicted: string[] }> {
    if (!isSessionId(record.id))
      throw new HallpassError('INVALID_ARGUMENT', 'redisStore: malformed session id')
    const fields = encodeHash(record)
    const tag = tagOf(record.id)
    const userId = record.userId
    const indexTag = userId === null ? undefined : userTag(userId)
    const replaces = options.replaces
    const old =
      replaces !== undefined && replaces !== record.id && isSessionId(replaces)
        ? replaces
        : undefined
    const indexHere = indexTag !== undefined && this.together(tag, indexTag)
    const oldHere = old !== undefined && this.together(tag, tagOf(old))
    const ttl = ms(options.ttl)
    // The index must outlive its sessions: at least the longest TTL a patch may give, up to the absolute expiry.
    const indexTtl = ms(Math.max(options.ttl, record.expiresAt - record.lastSeenAt))
    const max = integer(options.maxPerUser, 'maxPerUser')
    const keys = [this.keys.session(record.id)]
    if (indexHere) keys.push(this.keys.index(userId as string))
    if (oldHere) keys.push(this.keys.session(old))
    const flags = `1${indexHere ? 1 : 0}${oldHere ? 1 : 0}`
    // A fresh anonymous session is an ordinary data write; a login, a rotation and the cap protect users.
    const protecting = userId !== null || old !== undefined
    const stone =
      old !== undefined && options.tombstone !== undefined
        ? [ms(options.tombstone), integer(record.lastSeenAt, 'lastSeenAt')]
        : ['', '']
    let reply = (await this.run(
      'create',
      keys,
      [flags, record.id, ttl, indexTtl, max, old ?? '', indexTag ?? tag, ...stone, ...fields],
      protecting,
    )) as unknown[]
    const detached = strings([reply[2]])[0]
    if (indexTag !== undefined && !indexHere) {
      // Cluster, an id outside its user's slot (never one the manager issues): index it in a second step.
      reply = (await this.run(
        'create',
        [this.keys.index(userId as string)],
        ['010', record.id, ttl, indexTtl, max, '', indexTag],
        true,
      )) as unknown[]
    }
    for (const id of strings(reply[1]))
      await this.run('revokeOne', [this.keys.session(id)], [userId as string], true)
    if (detached) await this.unindexElsewhere(detached, old as string)
    // Cluster, login from a session in another slot (an anonymous one): delete it once the new one exists.
    // If that fails, take the new session back too, so no session nobody holds a cookie for is left indexed.
    if (old !== undefined && !oldHere) {
      try {
        await this.retire(old, stone)
      } catch (err) {
        await this.destroy(record.id).catch(() => undefined)
        throw err
      }
    }
    return { evicted: strings(reply[0]) }
  }

  async patch(id: string, patch: SessionPatch): Promise<PatchResult> {
    if (!isSessionId(id)) return 'missing'
    const set: string[] = []
    const unset = patch.unset.map(dataField)
    for (const [key, value] of Object.entries(patch.set)) {
      const json = dataValue(value)
      if (json !== undefined) set.push(dataField(key), json)
      else unset.push(dataField(key))
    }
    if (patch.device !== undefined) {
      const device = deviceFields(patch.device)
      set.push(...device.set)
      unset.push(...device.unset)
    }
    const args = [
      ms(patch.ttl),
      integer(patch.expectVersion, 'expectVersion'),
      integer(patch.lastSeenAt, 'lastSeenAt'),
      String(set.length / 2),
      ...set,
      ...unset,
    ]
    // A new device binding, a spent challenge or a pending re-issue protects the user; data and touches do not.
    const result = await this.run(
      'patch',
      [this.keys.session(id)],
      args,
      patch.device !== undefined,
    )
    return PATCH_RESULTS[Number(result)] ?? 'missing'
  }

  async destroy(id: string): Promise<boolean> {
    return this.retire(id, [])
  }

  /** Deletes one record and, given a tombstone's [ttl, time], leaves the tombstone in the same script. */
  private async retire(id: string, stone: string[]): Promise<boolean> {
    if (!isSessionId(id)) return false
    const [existed, detached] = strings(
      await this.run('destroy', [this.keys.session(id)], [id, ...stone], true),
    )
    if (detached) await this.unindexElsewhere(detached, id)
    return existed === '1'
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    if (typeof userId !== 'string' || userId.length === 0) return []
    const index = this.keys.index(userId)
    const entries = (await this.run('list', [index], [userTag(userId)])) as unknown[]
    const records: SessionRecord[] = []
    for (const entry of entries) {
      const [id, fields] = entry as [unknown, unknown]
      const sessionId = strings([id])[0] as string
      if (fields === undefined) {
        // Cluster, a session outside its user's slot: read on its own, not atomically with the index.
        const record = await this.get(sessionId)
        if (record === null || record === 'corrupt') await this.unindexElsewhere(userId, sessionId)
        else if (record.userId === userId) records.push(record)
        continue
      }
      const record = decodeHash(sessionId, fields)
      if (record === 'corrupt') await this.destroy(sessionId)
      else if (record !== null && record.userId === userId) records.push(record)
    }
    return records
  }

  async revoke(userId: string, options: RevokeOptions = {}): Promise<string[]> {
    if (typeof userId !== 'string' || userId.length === 0) return []
    const index = this.keys.index(userId)
    const all = options.ids === undefined
    const ids = all ? [] : (options.ids ?? []).filter(isSessionId)
    if (!all && ids.length === 0) return []
    const [revokedReply, elsewhereReply] = (await this.run(
      'revoke',
      [index],
      [userTag(userId), userId, options.except ?? '', all ? '1' : '0', ...ids],
      true,
    )) as unknown[]
    const revoked = strings(revokedReply)
    const elsewhere = strings(elsewhereReply)
    // Cluster, sessions in another slot than the user's index (never the case for ids the manager issues).
    for (const id of elsewhere) {
      const deleted =
        Number(await this.run('revokeOne', [this.keys.session(id)], [userId], true)) === 1
      if (deleted) revoked.push(id)
      if (deleted || all) await this.driver.command(index, ['ZREM', index, id])
    }
    return revoked
  }

  async close(): Promise<void> {
    this.driver.release()
  }

  /** Counts of live sessions: SCANs this prefix (standalone Redis only; NOT_SUPPORTED on Cluster). */
  async stats(withinMs: number): Promise<StoreStats> {
    return redisStats(this.driver, this.keys.prefix, withinMs)
  }

  /** Removes `id` from `userId`'s index when a script could not reach it (Cluster, another slot). */
  private async unindexElsewhere(userId: string, id: string): Promise<void> {
    const index = this.keys.index(userId)
    await this.driver.command(index, ['ZREM', index, id])
  }
}
