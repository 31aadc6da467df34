// trustProxy records the last X-Forwarded-For hop only when it is an IP address: markup a client wrote there is not recorded.
import { describe, expect, it } from 'vitest'
import { withSession } from '../../src/adapters/fetch.ts'
import { clientIp } from '../../src/pipeline/facts.ts'
import { createSessions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'

const SECRET = 'client-ip-secret-0123456789-abcdefghijklmn'

describe('clientIp', () => {
  it('takes the last hop when it is an IPv4 or IPv6 address, with trustProxy only', () => {
    expect(clientIp('10.0.0.9', '198.51.100.1, 203.0.113.7', true)).toBe('203.0.113.7')
    expect(clientIp('10.0.0.9', '198.51.100.1,2001:db8::1 ', true)).toBe('2001:db8::1')
    expect(clientIp('10.0.0.9', '::ffff:192.0.2.1', true)).toBe('::ffff:192.0.2.1')
    expect(clientIp('10.0.0.9', '::1', true)).toBe('::1')
    expect(clientIp('10.0.0.9', '255.255.255.255', true)).toBe('255.255.255.255')
    expect(clientIp('10.0.0.9', '203.0.113.7', false)).toBe('10.0.0.9')
  })

  it('keeps the socket address when the last hop is not an address', () => {
    for (const hop of [
      '<img src=x onerror=alert(1)>',
      'unknown',
      '203.0.113.7:443',
      '[2001:db8::1]',
      'fe80::1%eth0',
      '203.0.113.7 <b>',
      'javascript:alert(1)',
      '1.2.3.4.5',
      '999.999.999.999',
      '1.2.3.256',
      '01.2.3.4',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '::ffff:999.1.1.1',
      ':::::::',
      '',
    ])
      expect(clientIp('10.0.0.9', `198.51.100.1, ${hop}`, true), hop).toBe('10.0.0.9')
  })
})

describe('the device list behind a proxy', () => {
  it('never shows what a client wrote into X-Forwarded-For as its address', async () => {
    const sessions = createSessions({
      secret: SECRET,
      store: memoryStore(),
      cookie: { secure: false },
    })
    const door = withSession(
      sessions,
      async (_request, session) => {
        await session.login('alice')
        return new Response('ok')
      },
      { trustProxy: true, getIp: () => '10.0.0.9' },
    )
    const login = (forwardedFor: string) =>
      door(
        new Request('http://app.test/login', {
          method: 'POST',
          headers: { 'sec-fetch-site': 'same-origin', 'x-forwarded-for': forwardedFor },
        }),
      )
    expect((await login('198.51.100.1, <img src=x onerror=alert(1)>')).status).toBe(200)
    expect((await login('198.51.100.1, 203.0.113.7')).status).toBe(200)
    const ips = (await sessions.listSessions('alice')).map((s) => s.ip).sort()
    expect(ips).toEqual(['10.0.0.9', '203.0.113.7'])
  })
})
