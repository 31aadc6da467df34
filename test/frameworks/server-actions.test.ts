// The CSRF check of Next.js server actions: no exemption covers them; each refusal reason is logged once, with its fix.
import { describe, expect, it } from 'vitest'
import type { CsrfOptions } from '../../src/csrf/index.ts'
import { createSessions, isHallpassError, type SessionEvent } from '../../src/index.ts'
import { SERVER_ACTION_PATH, serverActionCheck } from '../../src/integrations/server-actions.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { Pipeline } from '../../src/pipeline/pipeline.ts'
import { RequestScope } from '../../src/pipeline/scope.ts'

const HOST = 'app.test:3000'

function setup(options: { secure?: boolean; csrf?: CsrfOptions; trustProxy?: boolean } = {}) {
  const events: SessionEvent[] = []
  const sessions = createSessions({
    secret: 'server-actions-test-secret-0123456789abcdef',
    store: memoryStore(),
    cookie: { secure: options.secure ?? true },
    onEvent: (event) => events.push(event),
  })
  const warnings: string[] = []
  const adapter = {
    ...(options.csrf && { csrf: options.csrf }),
    ...(options.trustProxy && { trustProxy: true }),
  }
  const check = serverActionCheck(
    new Pipeline(sessions, adapter),
    adapter,
    sessions.cookie.secure,
    (line) => warnings.push(line),
  )
  /** Runs the check for an action request with these headers: 'ran' or the error code. */
  const action = async (headers: Record<string, string>): Promise<string> => {
    try {
      await check(new RequestScope(await sessions.load()), new Headers({ host: HOST, ...headers }))
      return 'ran'
    } catch (err) {
      return isHallpassError(err) ? err.code : 'other'
    }
  }
  return { action, warnings, events }
}

describe('server actions and csrf.exempt', () => {
  it('an exemption of "/" (or any path) does not let a cross-site server action through', async () => {
    const { action, events } = setup({
      csrf: { exempt: ['/', '/login', SERVER_ACTION_PATH.replace('(', '/(')] },
    })
    expect(await action({ 'sec-fetch-site': 'cross-site' })).toBe('CSRF_REJECTED')
    expect(await action({ origin: 'https://evil.example' })).toBe('CSRF_REJECTED')
    expect(await action({})).toBe('CSRF_REJECTED')
    expect(
      events.filter((e) => e.type === 'csrf.rejected').map((e) => 'path' in e && e.path),
    ).toEqual([SERVER_ACTION_PATH, SERVER_ACTION_PATH, SERVER_ACTION_PATH])
  })

  it('still lets a same-origin action through', async () => {
    const { action } = setup({ csrf: { exempt: ['/'] } })
    expect(await action({ 'sec-fetch-site': 'same-origin', origin: `https://${HOST}` })).toBe('ran')
  })
})

describe('why a server action was refused, in the server log', () => {
  it('plain http with a Secure cookie: every action is refused, and the log says so once, with the fix', async () => {
    const { action, warnings } = setup({ secure: true })
    const fromPage = { 'sec-fetch-site': 'same-origin', origin: `http://${HOST}` }
    expect(await action(fromPage)).toBe('CSRF_REJECTED')
    expect(await action(fromPage)).toBe('CSRF_REJECTED')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('reason origin_mismatch')
    expect(warnings[0]).toContain(`plain http (Origin "http://${HOST}")`)
    expect(warnings[0]).toContain(`"https://${HOST}"`)
    expect(warnings[0]).toMatch(/HTTPS.*secure: false.*trustProxy/s)
  })

  it('one line per reason, each naming it; attacker-chosen values are quoted and cut', async () => {
    const { action, warnings } = setup({ secure: false })
    await action({ 'sec-fetch-site': 'cross-site' })
    await action({ 'sec-fetch-site': 'cross-site' })
    await action({ origin: `https://evil.example/"\t${'x'.repeat(500)}` })
    await action({})
    await action({ origin: 'null' })
    expect(warnings.map((line) => /reason (\w+)/.exec(line)?.[1])).toEqual([
      'cross_site',
      'origin_mismatch',
      'token_missing',
      'origin_null',
    ])
    expect(warnings.every((line) => !/[\t\r\n]/.test(line) && line.length < 800)).toBe(true)
    expect(warnings[1]).toContain('"https://evil.example/\\"\\t')
    expect(warnings[2]).toContain('requireToken')
  })

  it('logs nothing for actions that pass', async () => {
    const { action, warnings } = setup({ secure: false })
    expect(await action({ 'sec-fetch-site': 'same-origin', origin: `http://${HOST}` })).toBe('ran')
    expect(warnings).toEqual([])
  })
})
