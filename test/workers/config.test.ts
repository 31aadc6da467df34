// durableObjectStore() refuses what is not a Durable Object namespace at once, naming why: a missing binding, D1, Workers KV.
import { describe, expect, it } from 'vitest'
import { durableObjectStore, type DurableNamespace } from '../../src/stores/durable-object/index.ts'

/** An object with these methods, shaped like a binding of another kind. */
function shaped(...methods: string[]): DurableNamespace {
  return Object.fromEntries(methods.map((name) => [name, () => undefined])) as never
}

describe('durableObjectStore() configuration', () => {
  it('a missing binding says to declare it in wrangler.jsonc', () => {
    expect(() => durableObjectStore(undefined as never)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/wrangler\.jsonc/),
      }),
    )
  })

  it('a D1 database is refused: no transaction across a read and a write', () => {
    expect(() => durableObjectStore(shaped('prepare', 'batch', 'exec', 'dump'))).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/D1 .*transaction/),
      }),
    )
  })

  it('a Workers KV namespace is refused: eventually consistent, so a logout reaches other locations late', () => {
    expect(() =>
      durableObjectStore(shaped('get', 'put', 'list', 'delete', 'getWithMetadata')),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/eventually consistent.*logout/),
      }),
    )
  })

  it('anything else is refused with what a namespace needs', () => {
    expect(() => durableObjectStore(shaped('fetch'))).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/idFromName and get/),
      }),
    )
  })
})
