// The runtime modules on their own: each reads only its own runtime's argument, and readEnv survives a refusal.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as bun from '../../src/runtime/bun.ts'
import * as deno from '../../src/runtime/deno.ts'
import { readEnv } from '../../src/runtime/env.ts'
import * as node from '../../src/runtime/node.ts'

const request = new Request('http://127.0.0.1/')
const bunServer = { requestIP: (r: Request) => (r === request ? { address: '10.0.0.7' } : null) }
const denoInfo = (transport: string) => ({
  remoteAddr: { transport, hostname: '10.0.0.8', port: 1234 },
})
const nodeEnv = { incoming: { socket: { remoteAddress: '10.0.0.9' } } }

describe('client address, one module per runtime', () => {
  it('each reads its own runtime and nothing else', () => {
    expect(bun.clientIp(request, bunServer)).toBe('10.0.0.7')
    expect(deno.clientIp(request, denoInfo('tcp'))).toBe('10.0.0.8')
    expect(node.clientIp(request, nodeEnv)).toBe('10.0.0.9')
    for (const env of [undefined, null, {}, 'x']) {
      expect(bun.clientIp(request, env)).toBeUndefined()
      expect(deno.clientIp(request, env)).toBeUndefined()
      expect(node.clientIp(request, env)).toBeUndefined()
    }
    expect(bun.clientIp(request, denoInfo('tcp'))).toBeUndefined()
    expect(deno.clientIp(request, bunServer)).toBeUndefined()
  })

  it('Bun without an address (a closed socket) and Deno on a Unix socket give none', () => {
    expect(bun.clientIp(request, { requestIP: () => null })).toBeUndefined()
    expect(
      deno.clientIp(request, { remoteAddr: { transport: 'unix', path: '/run/app.sock' } }),
    ).toBe(undefined)
  })

  it('the Hono forms read c.env', () => {
    expect(bun.honoClientIp({ req: { raw: request }, env: bunServer })).toBe('10.0.0.7')
    expect(deno.honoClientIp({ req: { raw: request }, env: denoInfo('tcp') })).toBe('10.0.0.8')
  })
})

describe('readEnv', () => {
  afterEach(() => vi.unstubAllEnvs())

  it('reads a variable, and gives undefined where the runtime refuses (Deno without --allow-env)', () => {
    vi.stubEnv('HALLPASS_READ_ENV_TEST', 'yes')
    expect(readEnv('HALLPASS_READ_ENV_TEST')).toBe('yes')
    const env = process.env
    const refusing = new Proxy(env, {
      get: () => {
        throw new Error('NotCapable: Requires env access')
      },
    })
    Object.defineProperty(process, 'env', { value: refusing, configurable: true, writable: true })
    try {
      expect(readEnv('NEXT_PHASE')).toBeUndefined()
    } finally {
      Object.defineProperty(process, 'env', { value: env, configurable: true, writable: true })
    }
  })
})
