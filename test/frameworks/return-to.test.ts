// The "return to" values the integrations write themselves (Next's gate, Astro's guardPage) stay on the site, and the
// gate refuses an off-site sign-in page.
import { describe, expect, it, vi } from 'vitest'
import { createSessions } from '../../src/index.ts'
import { memoryStore } from '../../src/stores/memory.ts'
import { guardPage, type AstroContext } from '../../src/integrations/astro.ts'
import { nextSessions } from '../../src/integrations/next.ts'
import { requireAuth } from '../../src/guards/index.ts'

// `server-only` only throws when imported outside a React Server bundle; the gate needs no bundle.
vi.mock('server-only', () => ({}))

const APP = 'https://app.example'
const sessions = () =>
  createSessions({ secret: 'return-to-test-secret-0123456789-abcdef', store: memoryStore() })

/** The page a redirect sends the browser to, and the `next` it carries. */
function followed(response: Response | undefined): { target: URL; next: string | null } {
  const location = response?.headers.get('location')
  if (!location) throw new Error(`expected a redirect, got ${response?.status}`)
  const target = new URL(location, APP)
  return { target, next: target.searchParams.get('next') }
}

describe('hallpass/next gate({ signIn })', () => {
  it('sends an anonymous visitor to the sign-in page with the page it asked for as ?next=', async () => {
    const { target, next } = followed(
      await nextSessions(sessions()).gate()(new Request(`${APP}/account?tab=devices`)),
    )
    expect(target.origin + target.pathname).toBe(`${APP}/login`)
    expect(next).toBe('/account?tab=devices')
  })

  it.each([['//evil.example/phish'], ['/.//evil.example/phish'], ['//evil.example/%2E%2E/phish']])(
    'a request for %s gets a ?next= that stays on the site',
    async (path) => {
      const { target, next } = followed(
        await nextSessions(sessions()).gate()(new Request(APP + path)),
      )
      expect(target.origin).toBe(APP)
      expect(new URL(next as string, APP).origin).toBe(APP)
    },
  )

  it.each([
    ['//evil.example/login'],
    ['https://evil.example/login'],
    ['/\\evil.example/login'],
    ['login'],
  ])('refuses signIn %j with CONFIG_INVALID when the gate is made', (signIn) => {
    const refusal = {
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('must be a path on this site'),
    }
    expect(() => nextSessions(sessions()).gate({ signIn })).toThrow(
      expect.objectContaining(refusal),
    )
  })
})

describe('hallpass/astro guardPage', () => {
  const offSite = [['//evil.example/phish'], ['/.//evil.example/phish']]
  it.each(offSite)('a page at %s sends ?next= that stays on the site', async (path) => {
    const manager = sessions()
    const context: AstroContext = {
      request: new Request(APP + '/'),
      url: new URL(APP + path),
      locals: { session: await manager.load() },
      clientAddress: '127.0.0.1',
      isPrerendered: false,
      redirect: (location, status) =>
        new Response(null, { status: status ?? 302, headers: { location } }),
    }
    const { target, next } = followed(await guardPage(context, requireAuth()))
    expect(target.origin).toBe(APP)
    expect(new URL(next as string, APP).origin).toBe(APP)
  })
})
