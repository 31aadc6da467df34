// The store as the manager sees it with telemetry on: each call a span and a latency sample; arguments and data pass untouched.
import type { Attributes, Span, SpanOptions, Tracer } from '@opentelemetry/api'
import type { Store } from '../core/types.ts'
import type { Instruments } from './metrics.ts'
import { ATTR, STORE_OPERATIONS, type StoreOperation } from './names.ts'
import { INTERNAL, inSpan } from './spans.ts'

/** What each operation's spans and samples share, built once per store. */
interface Prepared {
  readonly name: string
  readonly options: SpanOptions
  /** The operation and the store's kind: the span's attributes, and every sample's. */
  readonly base: Attributes
  /** A sample that succeeded (a failed one has `outcome: error` and `error.type`). */
  readonly ok: Attributes
}

type Result<K extends keyof Store> = Store[K] extends (...args: never[]) => Promise<infer R>
  ? R
  : never

/**
 * Runs store calls as `hallpass.store.<operation>` spans (children of the active span: the request's load or commit
 * span, or the HTTP span while a handler runs) and records `hallpass.store.duration`. No id, user id or record
 * reaches a span or a metric: the attributes are the operation, the store's kind, the outcome and small counts.
 */
class StoreCalls {
  private readonly prepared: Record<StoreOperation, Prepared>

  constructor(
    kind: string,
    private readonly tracer: Tracer,
    private readonly instruments: Instruments,
  ) {
    const entries = STORE_OPERATIONS.map((operation): [StoreOperation, Prepared] => {
      const base = { [ATTR.operation]: operation, [ATTR.storeKind]: kind }
      return [
        operation,
        {
          name: `hallpass.store.${operation}`,
          options: { ...INTERNAL, attributes: base },
          base,
          ok: { ...base, [ATTR.outcome]: 'ok' },
        },
      ]
    })
    this.prepared = Object.fromEntries(entries) as Record<StoreOperation, Prepared>
  }

  run<T>(
    operation: StoreOperation,
    work: () => Promise<T>,
    describe?: (result: T) => Attributes,
  ): Promise<T> {
    const { name, options, base, ok } = this.prepared[operation]
    let started = 0
    const timed = (): Promise<T> => {
      started = performance.now()
      return work()
    }
    const seconds = (): number => (performance.now() - started) / 1000
    return inSpan(
      this.tracer,
      name,
      options,
      timed,
      (span: Span, result: T) => {
        this.instruments.storeCall(seconds(), ok)
        if (describe && span.isRecording()) span.setAttributes(describe(result))
      },
      (type) =>
        this.instruments.storeCall(seconds(), {
          ...base,
          [ATTR.outcome]: 'error',
          [ATTR.errorType]: type,
        }),
    )
  }
}

const getResult = (record: Result<'get'>): Attributes => ({
  [ATTR.result]: record === null ? 'missing' : record === 'corrupt' ? 'corrupt' : 'found',
})

/** `store` with every call traced and timed (`close` is passed through untraced). Built once, by `createSessions()`. */
export function observedStore(store: Store, tracer: Tracer, instruments: Instruments): Store {
  const calls = new StoreCalls(store.kind, tracer, instruments)
  const ping = store.ping?.bind(store)
  const close = store.close?.bind(store)
  const stats = store.stats?.bind(store)
  return {
    kind: store.kind,
    get: (id) => calls.run('get', () => store.get(id), getResult),
    create: (record, options) =>
      calls.run(
        'create',
        () => store.create(record, options),
        (created) => ({ [ATTR.count]: created.evicted.length + (created.displaced?.length ?? 0) }),
      ),
    patch: (id, patch) =>
      calls.run(
        'patch',
        () => store.patch(id, patch),
        (result) => ({ [ATTR.result]: result }),
      ),
    destroy: (id) =>
      calls.run(
        'destroy',
        () => store.destroy(id),
        (existed) => ({ [ATTR.result]: existed ? 'deleted' : 'missing' }),
      ),
    listByUser: (userId) =>
      calls.run(
        'listByUser',
        () => store.listByUser(userId),
        (records) => ({ [ATTR.count]: records.length }),
      ),
    revoke: (userId, options) =>
      calls.run(
        'revoke',
        () => store.revoke(userId, options),
        (ids) => ({ [ATTR.count]: ids.length }),
      ),
    ...(ping && { ping: () => calls.run('ping', ping) }),
    ...(stats && { stats: (withinMs: number) => calls.run('stats', () => stats(withinMs)) }),
    ...(close && { close }),
  }
}
