// safeRedirectPath: the "return to" payloads that leave the site past a prefix check, and the paths that must survive.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HallpassError, safeRedirectPath } from '../../src/index.ts'

const APP = 'https://app.example'

/** What `?next=` holds once the framework decoded the query string of `/login?next=<raw>`. */
const fromQuery = (raw: string): string | null =>
  new URL(`${APP}/login?next=${raw}`).searchParams.get('next')

/** Where a browser goes with this value as the `Location` of a response from the login page. */
const browserTarget = (location: string): URL => new URL(location, `${APP}/login`)

describe('safeRedirectPath', () => {
  it.each([
    ['/account', '/account'],
    ['/account?tab=devices#list', '/account?tab=devices#list'],
    ['/', '/'],
    ['/a/b/../c', '/a/c'],
    ['/search?q=a b&x="<>"', '/search?q=a%20b&x=%22%3C%3E%22'],
    ['/files/a%2Fb', '/files/a%2Fb'], // an encoded slash in the middle of a path is a path
    ['/café', '/caf%C3%A9'],
    ['/@evil.example', '/@evil.example'],
    ['/javascript:alert(1)', '/javascript:alert(1)'],
  ])('keeps the same-origin path %j as %j', (value, expected) => {
    expect(safeRedirectPath(value, '/home')).toBe(expected)
  })

  it('the prefix check the examples used lets the first of them through', () => {
    const value = fromQuery('/%5Cevil.example/phish') as string
    expect(value.startsWith('/') && !value.startsWith('//')).toBe(true)
  })

  // Each of these leaves the site when redirected to: browsers read \ as / and drop tab, CR and LF.
  it.each([
    ['/%5Cevil.example/phish'], // \ -> /
    ['/%09/evil.example/phish'], // tab, dropped
    ['/%0A/evil.example/phish'], // LF, dropped
    ['/%0D/evil.example/phish'], // CR, dropped
    ['/%0D%0A/evil.example/phish'],
    ['%5C%5Cevil.example/phish'],
    ['/%5C/evil.example/phish'], // /\/
    ['%2F%5Cevil.example'],
    ['%09/%2Fevil.example'], // leading tab
  ])('a query string ?next=%s sends the browser nowhere but the fallback', (raw) => {
    const value = fromQuery(raw)
    expect(browserTarget(value as string).origin).not.toBe(APP) // they do leave the site
    expect(safeRedirectPath(value, '/home')).toBe('/home')
  })

  it.each([
    ['//evil.example/phish'],
    ['///evil.example'],
    ['/\\evil.example'],
    ['\\/evil.example'],
    ['\\\\evil.example'],
    ['/\\/evil.example'],
    ['/\t/evil.example'],
    ['/\n/evil.example'],
    ['/\r\n/evil.example'],
    ['/\u0000/evil.example'],
    ['/\u007f'],
    ['/.//evil.example'], // normalizes to //evil.example
    ['/..//evil.example'],
    ['/a/..//evil.example'],
    ['/%2E//evil.example'],
    ['/%2F%2Fevil.example'], // decodes to ///evil.example
    ['/%2F/evil.example'],
    ['/%5Cevil.example'], // decodes to /\evil.example
    ['/%255Cevil.example'], // twice
    ['/%25255Cevil.example'], // three times
    ['/%09/evil.example'],
    ['/%0d%0aSet-Cookie:x=1'],
    ['/100%'], // malformed encoding
    ['https://evil.example/phish'],
    ['http:evil.example'],
    ['javascript:alert(1)'],
    ['data:text/html,hi'],
    ['evil.example'],
    ['account'], // relative: would resolve against the current page
    [' /account'],
    [''],
  ])('refuses %j', (value) => {
    expect(safeRedirectPath(value, '/home')).toBe('/home')
  })

  const nonStrings = [
    undefined,
    null,
    42,
    ['/account'],
    { toString: () => '/account' },
    new URL(`${APP}/account`),
  ]
  it.each(nonStrings.map((value) => [value]))('refuses the non-string %j', (value) => {
    expect(safeRedirectPath(value, '/home')).toBe('/home')
  })

  it("defaults the fallback to '/'", () => {
    expect(safeRedirectPath('//evil.example')).toBe('/')
  })

  const badFallbacks = [['//evil.example'], ['https://evil.example'], ['home'], ['/\\evil.example']]
  it.each(badFallbacks)('throws INVALID_ARGUMENT for the fallback %j', (fallback) => {
    const attempt = () => safeRedirectPath('//x', fallback)
    expect(attempt).toThrow(HallpassError)
    expect(attempt).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('whatever it returns, a browser resolving it from any page stays on the origin (fast-check, 5,000 runs)', () => {
    const pieces = [
      ...[
        '/',
        '\\',
        '.',
        '..',
        '%',
        ' ',
        ':',
        '@',
        '?',
        '#',
        '\t',
        '\n',
        '\r',
        '\u3000',
        '\uff0f',
        'evil.example',
      ],
      ...['2', 'e', 'E', 'f', 'F', '5', 'c', 'C', '0', '9', 'a', 'd', 'D', 'http'], // %2F %5C %09 %0A %0D %2E http:
    ]
    const value = fc
      .array(fc.constantFrom(...pieces), { maxLength: 12 })
      .map((parts) => parts.join(''))
    fc.assert(
      fc.property(value, fc.constantFrom('/login', '/a/b/', '/'), (candidate, from) => {
        const path = safeRedirectPath(candidate, '/fallback')
        const target = new URL(path, APP + from)
        expect(target.origin).toBe(APP)
        expect(path.startsWith('/') && !path.startsWith('//')).toBe(true)
        expect(path).not.toMatch(/[\u0000-\u0020\u007f\\]/)
      }),
      { numRuns: 5_000 },
    )
  })
})
