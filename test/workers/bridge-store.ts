// A Store in Node that forwards each call to the contract Worker, so the contract suite drives the real store on workerd.
import { Agent, request } from 'node:http'
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

  /** Kept-alive sockets: node:http costs a fraction of fetch's CPU per call, and the contract makes thousands. */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128 })

  constructor(private readonly url: string) {}

  private call(method: string, args: unknown[]): Promise<unknown> {
    const body = encodeArguments(args)
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.url}/store/${method}`,
        { method: 'POST', agent: this.agent },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () => {
            try {
              resolve(openEnvelope(text))
            } catch (err) {
              reject(err)
            }
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  /** Closes the kept-alive sockets. */
  async close(): Promise<void> {
    this.agent.destroy()
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
