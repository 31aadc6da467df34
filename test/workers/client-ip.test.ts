// The client address on real workerd (hallpass/workers): CF-Connecting-IP is recorded only when the Worker says it trusts it.
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browser } from '../scenarios/harness/client.ts'
import { startWorker, type RunningWorker } from './workerd.ts'

let worker: RunningWorker

beforeAll(async () => {
  worker = await startWorker({
    entry: fileURLToPath(new URL('./ip-worker.ts', import.meta.url)),
    durableObject: 'HallpassSessions',
    vars: { SESSION_SECRET: 'workers-ip-secret-0123456789-abcdefghijklmnop' },
  })
})
afterAll(() => worker?.stop())

let users = 0
const fresh = (): string => `ip-user-${process.pid}-${++users}`

/** Signs a fresh user in from two "devices" with the given CF-Connecting-IP headers; returns the device list. */
async function devicesAfterLogins(base: string, addresses: string[]): Promise<unknown> {
  const user = fresh()
  let last: Browser | undefined
  for (const address of addresses) {
    last = new Browser(base)
    const login = await last.post(`/login?user=${user}`, {
      headers: { 'cf-connecting-ip': address },
    })
    expect(login.status).toBe(200)
  }
  const devices = (await last!.get('/devices')).json as (string | null)[]
  return [...devices].sort()
}

for (const door of ['fetch', 'hono'] as const) {
  describe(`workerd, hallpass/${door}, client address`, () => {
    it('with trustCloudflare: true, the CF-Connecting-IP address is recorded in the device list', async () => {
      const devices = await devicesAfterLogins(`${worker.url}/${door}/trusted`, [
        '203.0.113.7',
        '2001:db8::1',
      ])
      expect(devices).toEqual(['2001:db8::1', '203.0.113.7'])
    })

    it('with trustCloudflare: true, a header that is not one address (a list, a name) is no address', async () => {
      const devices = await devicesAfterLogins(`${worker.url}/${door}/trusted`, [
        '203.0.113.7, 198.51.100.1',
        'evil.example',
      ])
      expect(devices).toEqual([null, null])
    })

    it('with trustCloudflare: false, and without hallpass/workers, a forged header is ignored', async () => {
      for (const mode of ['untrusted', 'none']) {
        const devices = await devicesAfterLogins(`${worker.url}/${door}/${mode}`, ['203.0.113.66'])
        expect(devices).toEqual([null])
      }
    })
  })
}
