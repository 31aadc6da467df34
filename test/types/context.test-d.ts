// Compile-only: hallpass/context and hallpass/guards types.
import { expectTypeOf } from 'vitest'
import type { Session, SessionData } from 'hallpass'
import { findSession, getSession } from 'hallpass/context'
import {
  createAccess,
  hasPermission,
  hasRole,
  hasRolePermission,
  requireRole,
  type Guard,
  type GuardOutcome,
} from 'hallpass/guards'

expectTypeOf(getSession()).toEqualTypeOf<Session<SessionData>>()
expectTypeOf(getSession<{ cart: string[] }>().get('cart')).toEqualTypeOf<string[] | undefined>()
expectTypeOf(findSession()).toEqualTypeOf<Session<SessionData> | undefined>()

const session = getSession()
expectTypeOf(hasRole(session, 'admin')).toEqualTypeOf<boolean>()
expectTypeOf(hasPermission(session, 'posts:delete')).toEqualTypeOf<boolean>()
expectTypeOf(
  hasRolePermission(session, 'posts:delete', { editor: ['posts:*'] }),
).toEqualTypeOf<boolean>()
expectTypeOf(requireRole('admin')).toEqualTypeOf<Guard>()

// A custom guard is a plain function of the session.
const mfa: Guard = (principal) => (principal.userId === null ? 'unauthenticated' : 'allow')
expectTypeOf(mfa(session)).toEqualTypeOf<GuardOutcome | Promise<GuardOutcome>>()

createAccess({ load: async (userId) => ({ roles: [userId], permissions: [] }) })
// @ts-expect-error the loader returns roles and permissions, not a list of roles
createAccess({ load: async () => ['admin'] })
// @ts-expect-error guards read privileges from the server: a role list from the request is not a principal
hasRole(['admin'], 'admin')
