// Permission parsing, wildcard matching and the abuse limits.
import { describe, expect, it } from 'vitest'
import {
  isValidRole,
  parsePermission,
  PermissionSet,
  PRIVILEGE_LIMITS,
} from '../../src/guards/permissions.ts'

describe('PermissionSet', () => {
  const grants = new PermissionSet([
    'posts:*',
    'reports:read',
    '*:comments:moderate',
    'users:*:view',
  ])

  it.each([
    ['posts:read', true],
    ['posts:edit:own', true],
    ['posts', false],
    ['reports:read', true],
    ['reports:write', false],
    ['Reports:read', false],
    ['blog:comments:moderate', true],
    ['blog:extra:comments:moderate', false],
    ['users:42:view', true],
    ['users:42:edit', false],
    ['users:42:view:more', false],
  ])('%s -> %s', (required, expected) => {
    expect(grants.has(required)).toBe(expected)
  })

  it('grants everything to a lone *, and nothing to partial-segment wildcards', () => {
    expect(new PermissionSet(['*']).has('anything:at:all')).toBe(true)
    expect(new PermissionSet(['post*', 'posts:re*']).has('posts:read')).toBe(false)
  })

  it('never lets a wildcard in the required permission match', () => {
    expect(new PermissionSet(['*']).has('posts:*')).toBe(false)
    expect(new PermissionSet(['posts:*']).has('*')).toBe(false)
  })

  it('ignores malformed grants and grants nothing past the entry limit', () => {
    expect(
      new PermissionSet(['', 'a::b', 'a b', 'x'.repeat(200), 42 as unknown as string, 'ok']).has(
        'ok',
      ),
    ).toBe(true)
    const many = Array.from({ length: PRIVILEGE_LIMITS.maxEntries + 1 }, (_, i) => `p:${i}`)
    expect(new PermissionSet(many).has('p:1')).toBe(false)
    expect(new PermissionSet('posts:*' as unknown as string[]).has('posts:read')).toBe(false)
  })

  it('stays fast on the largest allowed input', () => {
    const patterns = Array.from(
      { length: PRIVILEGE_LIMITS.maxEntries },
      (_, i) => `*:*:*:s${i}:a:b:c:*`,
    )
    const set = new PermissionSet(patterns)
    const started = performance.now()
    for (let i = 0; i < 1000; i++) set.has('a:b:c:d:a:b:c:d')
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('parsePermission and isValidRole', () => {
  it('enforces the segment, wildcard and length limits', () => {
    expect(parsePermission('a:b:c:d:e:f:g:h', false)).toHaveLength(8)
    expect(parsePermission('a:b:c:d:e:f:g:h:i', false)).toBeUndefined()
    expect(parsePermission('*:*:*:x', true)).toHaveLength(4)
    expect(parsePermission('*:*:*:*', true)).toBeUndefined()
    expect(parsePermission('posts:*', false)).toBeUndefined()
    expect(parsePermission('a'.repeat(129), false)).toBeUndefined()
  })

  it('accepts role names without control characters, up to the length limit', () => {
    expect(isValidRole('Content Editor')).toBe(true)
    expect(isValidRole('')).toBe(false)
    expect(isValidRole('admin\n')).toBe(false)
    expect(isValidRole('r'.repeat(129))).toBe(false)
  })
})
