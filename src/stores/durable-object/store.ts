// The Store that talks to the HallpassSessions Durable Objects: one object per routing tag, one fetch per call.
import { HallpassError } from '../../errors.ts'
import { isSessionId, TAG_LENGTH, userTag } from '../../crypto/token.ts'
import { tombstoneFor } from '../tombstone.ts'
import type {
  CreateOptions,
  CreateResult,
  PatchResult,
  RevokeOptions,
  SessionPatch,
  SessionRecord,
  Store,
} from '../types.ts'
import { encodeArguments, openEnvelope, operationUrl, type Operation } from './protocol.ts'
import type { DurableNamespace, DurableStub } from './types.ts'

/** The object for a routing tag: a user's sessions all carry their user's tag, so they share one object. */
function objectName(tag: string): string {
  return `hallpass:${tag}`
}

/** @internal Built by `durableObjectStore()`. */
export class DurableObjectSessionStore implements Store {
  readonly kind = 'durable-object'

  constructor(private readonly namespace: DurableNamespace) {}

  async get(id: string): Promise<SessionRecord | null | 'corrupt'> {
    if (!isSessionId(id)) return null
    return (await this.call(id, 'get', [id])) as SessionRecord | null | 'corrupt'
  }

  /**
   * One call when the replaced session lives in the same object (a signed-in regenerate). A login from an
   * anonymous session crosses objects: the new record is written first, then the old one is replaced by its
   * tombstone (or deleted); if that fails, the new record is taken back, so no session is left that no
   * cookie names. Between the two steps the old anonymous session is still readable, never a signed-in one.
   */
  async create(record: SessionRecord, options: CreateOptions): Promise<CreateResult> {
    if (!isSessionId(record.id))
      throw new HallpassError('INVALID_ARGUMENT', 'durableObjectStore: malformed session id')
    const old = options.replaces
    if (
      old === undefined ||
      old === record.id ||
      !isSessionId(old) ||
      tagOf(old) === tagOf(record.id)
    )
      return (await this.call(record.id, 'create', [record, options])) as CreateResult
    const { replaces: _replaces, tombstone, ...rest } = options
    const result = (await this.call(record.id, 'create', [record, rest])) as CreateResult
    try {
      if (tombstone === undefined) await this.call(old, 'destroy', [old])
      else
        await this.call(old, 'create', [
          tombstoneFor(old, record.lastSeenAt, tombstone),
          { ttl: tombstone },
        ])
    } catch (err) {
      await this.call(record.id, 'destroy', [record.id]).catch(() => undefined)
      throw err
    }
    return result
  }

  async patch(id: string, patch: SessionPatch): Promise<PatchResult> {
    if (!isSessionId(id)) return 'missing'
    return (await this.call(id, 'patch', [id, withUnsetUndefined(patch)])) as PatchResult
  }

  async destroy(id: string): Promise<boolean> {
    if (!isSessionId(id)) return false
    return (await this.call(id, 'destroy', [id])) as boolean
  }

  /** The user's object holds all their sessions (ids the manager issues carry the user's tag). */
  async listByUser(userId: string): Promise<SessionRecord[]> {
    if (typeof userId !== 'string') return []
    return (await this.callTag(userTag(userId), 'listByUser', [userId])) as SessionRecord[]
  }

  async revoke(userId: string, options: RevokeOptions = {}): Promise<string[]> {
    if (typeof userId !== 'string') return []
    return (await this.callTag(userTag(userId), 'revoke', [userId, options])) as string[]
  }

  /** One round trip to one object. */
  async ping(): Promise<void> {
    await this.callTag('ping', 'ping', [])
  }

  private call(id: string, op: Operation, args: readonly unknown[]): Promise<unknown> {
    return this.callTag(tagOf(id), op, args)
  }

  /** One fetch to the tag's object; a failure to reach it (overload, reset, network) is STORE_UNAVAILABLE. */
  private async callTag(tag: string, op: Operation, args: readonly unknown[]): Promise<unknown> {
    const body = encodeArguments(args)
    let response: Response | undefined
    let text = ''
    let cause: unknown
    try {
      response = await this.stub(tag).fetch(operationUrl(op), { method: 'POST', body })
      text = await response.text()
    } catch (err) {
      cause = err
    }
    if (response?.ok !== true)
      throw new HallpassError(
        'STORE_UNAVAILABLE',
        `the Durable Object session store is unavailable${response ? ` (its object answered ${response.status})` : ''}`,
        { cause },
      )
    return openEnvelope(text)
  }

  private stub(tag: string): DurableStub {
    return this.namespace.get(this.namespace.idFromName(objectName(tag)) as never)
  }
}

function tagOf(id: string): string {
  return id.slice(0, TAG_LENGTH)
}

/** A key set to undefined is a removal (as in every store); JSON would silently drop it instead. */
function withUnsetUndefined(patch: SessionPatch): SessionPatch {
  const gone = Object.keys(patch.set).filter((key) => patch.set[key] === undefined)
  if (gone.length === 0) return patch
  const set = { ...patch.set }
  for (const key of gone) delete set[key]
  return { ...patch, set, unset: [...patch.unset, ...gone] }
}
