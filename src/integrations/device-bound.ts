// The framework integrations do not run the DBSC endpoints or the bound-cookie check yet, so they refuse deviceBound at setup.
import type { Sessions } from '../core/manager.ts'
import { configError } from '../errors.ts'

/**
 * Throws CONFIG_INVALID when `deviceBound` is on: a bound session would otherwise be served without its bound
 * cookie being checked (a stolen cookie would still work), which is worse than not offering DBSC at all.
 */
export function refuseDeviceBound(sessions: Sessions<any>, integration: string): void {
  if (sessions.deviceBound === undefined) return
  configError(
    `${integration} does not support deviceBound yet: its registration and refresh endpoints and the bound-cookie check run only in the adapters (hallpass/fetch, node, express, hono, fastify). Turn deviceBound off for this app (docs/dbsc.md)`,
  )
}
