// Guards and the privilege loader: outcomes, role grants, caching, fail-closed loader answers, startup errors.
import { describe, expect, it } from 'vitest'
import { isHallpassError } from '../../src/errors.ts'
import {
  createAccess,
  requireAuth,
  requirePermission,
  requireRole,
  type Principal,
} from '../../src/guards/access.ts'
import { hasPermission, hasRole, hasRolePermission } from '../../src/guards/checks.ts'

const anonymous: Principal = { userId: null, roles: [], permissions: [] }
const editor: Principal = { userId: 'u1', roles: ['editor'], permissions: ['posts:*'] }

describe('default guards (session record)', () => {
  it('answers unauthenticated, forbidden or allow', () => {
    expect(requireAuth()(anonymous)).toBe('unauthenticated')
    expect(requireAuth()(editor)).toBe('allow')
    expect(requireRole('admin')(anonymous)).toBe('unauthenticated')
    expect(requireRole('admin')(editor)).toBe('forbidden')
    expect(requireRole('admin', 'editor')(editor)).toBe('allow')
    expect(requirePermission('posts:edit', 'posts:delete')(editor)).toBe('allow')
    expect(requirePermission('posts:edit', 'users:delete')(editor)).toBe('forbidden')
  })

  it('denies a principal whose stored privileges are malformed instead of throwing', () => {
    const broken = {
      userId: 'u2',
      roles: 'admin',
      permissions: { '*': true },
    } as unknown as Principal
    expect(requireRole('admin')(broken)).toBe('forbidden')
    expect(requirePermission('posts:read')(broken)).toBe('forbidden')
  })

  it('rejects bad guard arguments at startup with CONFIG_INVALID', () => {
    for (const build of [
      () => requireRole(),
      () => requireRole(''),
      () => requirePermission('posts:*'),
      () => requirePermission('a b'),
      () => requireRole(...Array.from({ length: 300 }, (_, i) => `r${i}`)),
    ]) {
      expect(build).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    }
  })
})

describe('hasRole, hasPermission, hasRolePermission', () => {
  it('checks exact roles and wildcard permissions, and is false for malformed input', () => {
    expect(hasRole(editor, 'editor')).toBe(true)
    expect(hasRole(editor, 'Editor')).toBe(false)
    expect(hasPermission(editor, 'posts:publish')).toBe(true)
    expect(hasPermission(editor, 'posts:*')).toBe(false)
    expect(hasPermission(editor, 'x'.repeat(10_000))).toBe(false)
    expect(hasRolePermission(editor, 'media:upload', { editor: ['media:*'] })).toBe(true)
    expect(hasRolePermission(editor, 'media:upload', { admin: ['*'] })).toBe(false)
    expect(
      hasRolePermission({ roles: ['__proto__', 'constructor'], permissions: [] }, 'a:b', {}),
    ).toBe(false)
  })
})

describe('createAccess', () => {
  it('grants permissions through rolePermissions', () => {
    const access = createAccess({ rolePermissions: { editor: ['media:*'] } })
    expect(access.requirePermission('media:upload')(editor)).toBe('allow')
    expect(access.requirePermission('users:delete')(editor)).toBe('forbidden')
  })

  it('reads privileges from the loader once per request, and sees changes on the next one', async () => {
    const roles = new Map([['u1', ['admin']]])
    let calls = 0
    const access = createAccess({
      load: (id) => (calls++, { roles: roles.get(id) ?? [], permissions: [] }),
    })
    const request1 = { ...editor }
    expect(await access.requireRole('admin')(request1)).toBe('allow')
    expect(await access.requireAuth()(request1)).toBe('allow')
    expect(await access.requireRole('admin', 'editor')(request1)).toBe('allow')
    expect(calls).toBe(1)
    roles.set('u1', [])
    expect(await access.requireRole('admin')({ ...editor })).toBe('forbidden')
    expect(calls).toBe(2)
    expect(await access.requireRole('admin')(anonymous)).toBe('unauthenticated')
    expect(calls).toBe(2)
  })

  it('ignores the session record when a loader is set, and fails closed on odd loader answers', async () => {
    const answers: unknown[] = [
      null,
      undefined,
      'admin',
      { roles: 'admin' },
      { roles: Array(300).fill('admin') },
      { roles: ['admin\u0000'] },
    ]
    for (const answer of answers) {
      const access = createAccess({ load: () => answer as never })
      expect(
        await access.requireRole('admin')({ userId: 'u', roles: ['admin'], permissions: ['*'] }),
      ).toBe('forbidden')
    }
  })

  it('propagates a loader failure instead of allowing', async () => {
    const access = createAccess({ load: async () => Promise.reject(new Error('users db down')) })
    await expect(access.requireRole('admin')(editor)).rejects.toThrow('users db down')
  })

  it('rejects bad options at startup', () => {
    const bad = [
      { load: 'x' },
      { rolePermissions: { editor: ['posts:**'] } },
      { rolePermissions: { '': ['a'] } },
      { rolePermissions: null },
    ]
    for (const options of bad) {
      let caught: unknown
      try {
        createAccess(options as never)
      } catch (err) {
        caught = err
      }
      expect(isHallpassError(caught, 'CONFIG_INVALID'), JSON.stringify(options)).toBe(true)
    }
  })
})
