// hallpass works with cookie 1.1.x and 2.x, and says so in its range, so npm can share one copy with Astro (cookie 2).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
}
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dependencies?: Record<string, string> }>
}

/** Every name hallpass's sources import from 'cookie'. */
function importedNames(): string[] {
  const names = new Set<string>()
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts'))
        for (const [, list] of readFileSync(path, 'utf8').matchAll(
          /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'cookie'/g,
        ))
          for (const name of list!.split(',')) if (name.trim()) names.add(name.trim())
    }
  }
  walk(join(ROOT, 'src'))
  return [...names].sort()
}

/** The installed copy of cookie (under node_modules) whose version starts with `major.`. */
function copyOf(major: string): { dir: string; version: string } {
  for (const dir of [
    'node_modules/cookie',
    'node_modules/astro/node_modules/cookie',
    'node_modules/light-my-request/node_modules/cookie',
  ]) {
    try {
      const { version } = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {
        version: string
      }
      if (version.startsWith(`${major}.`)) return { dir: join(ROOT, dir), version }
    } catch {
      // not installed there
    }
  }
  throw new Error(`no cookie ${major}.x installed`)
}

describe('the cookie dependency', () => {
  it('hallpass imports stringifySetCookie and parseSetCookie only', () => {
    expect(importedNames()).toEqual(['parseSetCookie', 'stringifySetCookie'])
  })

  for (const major of ['1', '2']) {
    it(`cookie ${major}.x has every name hallpass imports, and round-trips a hallpass Set-Cookie`, async () => {
      const { dir, version } = copyOf(major)
      if (major === '1') expect(Number(version.split('.')[1])).toBeGreaterThanOrEqual(1)
      const cookie = (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as Record<
        string,
        unknown
      >
      for (const name of importedNames()) expect(typeof cookie[name], name).toBe('function')
      const { stringifySetCookie, parseSetCookie } = cookie as {
        stringifySetCookie(c: object): string
        parseSetCookie(s: string): Record<string, unknown>
      }
      const header = stringifySetCookie({
        name: '__Host-hp',
        value: 'abc',
        httpOnly: true,
        secure: true,
        sameSite: 'lax',
        path: '/',
        partitioned: true,
        maxAge: 60,
      })
      expect(header).toBe(
        '__Host-hp=abc; Max-Age=60; Path=/; HttpOnly; Secure; Partitioned; SameSite=Lax',
      )
      expect(parseSetCookie(header)).toMatchObject({
        name: '__Host-hp',
        value: 'abc',
        maxAge: 60,
        path: '/',
        httpOnly: true,
        secure: true,
        partitioned: true,
        sameSite: 'lax',
      })
    })
  }

  it('the range takes both (npm can then share the copy Astro installs), and package-lock.json agrees', () => {
    expect(pkg.dependencies.cookie?.split('||').map((range) => range.trim())).toEqual([
      '^1.1.1',
      '^2',
    ])
    expect(lock.packages['']?.dependencies?.cookie).toBe(pkg.dependencies.cookie)
  })
})
