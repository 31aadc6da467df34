// A Store in Node that forwards each call to the contract Worker, so the contract suite drives the real store on workerd.
import type {
  CreateOptions,
  CreateResult,
  PatchResult,
  RevokeOptions,
  SessionPatch,
  SessionRecord,
  Store,
} from '../../src/stores/types.ts'
import { encodeArguments, openEnvelope } from '../../src/stores/durable-object/protocol.ts'

/** Each method is one POST to `<url>/store/<method>`; errors come back as the HallpassError the store threw. */
export class BridgeStore implements Store {
  readonly kind = 'durable-object'

  constructor(private readonly url: string) {}

  private async call(method: string, args: unknown[]): Promise<unknown> {
    const response = await fetch(`${this.url}/store/${method}`, {
      method: 'POST',
      body: encodeArguments(args),
    })
    return openEnvelope(await response.text())
  }

  get(id: string): Promise<SessionRecord | null | 'corrupt'> {
    return this.call('get', [id]) as Promise<SessionRecord | null | 'corrupt'>
  }
  create(record: SessionRecord, options: CreateOptions): Promise<CreateResult> {
    return this.call('create', [record, options]) as Promise<CreateResult>
  }
  patch(id: string, patch: SessionPatch): Promise<PatchResult> {
    return this.call('patch', [id, patch]) as Promise<PatchResult>
  }
  destroy(id: string): Promise<boolean> {
    return this.call('destroy', [id]) as Promise<boolean>
  }
  listByUser(userId: string): Promise<SessionRecord[]> {
    return this.call('listByUser', [userId]) as Promise<SessionRecord[]>
  }
  revoke(userId: string, options?: RevokeOptions): Promise<string[]> {
    return this.call('revoke', [userId, options]) as Promise<string[]>
  }
  async ping(): Promise<void> {
    await this.call('ping', [])
  }
}
