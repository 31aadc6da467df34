// `hallpass sessions list|revoke|stats|purge`: operate on a SQLite or Redis session store from the shell.
import type { SessionRecord, StoreStats } from '../stores/types.ts'
import { UsageError, type Access, type OpenedStore } from './stores.ts'

/** The actions and what each does to the store: reads open it read-only. */
const ACTIONS = new Map<string, Access>([
  ['list', 'read'],
  ['stats', 'read'],
  ['revoke', 'write'],
  ['purge', 'write'],
])

/** Whether `action` reads or writes; a usage error for an unknown action (checked before the store is opened). */
export function accessFor(action: string | undefined): Access {
  const access = action === undefined ? undefined : ACTIONS.get(action)
  if (access === undefined) {
    throw new UsageError(
      `unknown sessions action "${action ?? ''}": use list, revoke, stats or purge`,
    )
  }
  return access
}

/** One line per session: id, created, last seen, expiry, persistent flag, ip and user agent. */
export function formatSessions(records: readonly SessionRecord[]): string[] {
  if (records.length === 0) return ['no sessions']
  const iso = (ms: number): string => new Date(ms).toISOString()
  return [...records]
    .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
    .map((r) =>
      [
        r.id,
        `created ${iso(r.createdAt)}`,
        `seen ${iso(r.lastSeenAt)}`,
        `expires ${iso(r.expiresAt)}`,
        r.persistent ? 'remembered' : 'browser',
        r.ip ?? '-',
        r.userAgent ?? '-',
      ].join('  '),
    )
}

const HOUR = 3_600_000

/** The `sessions stats` table: one aligned line per figure. */
export function formatStats(stats: StoreStats): string[] {
  const signedIn = stats.sessions - stats.anonymous
  const mean = stats.users === 0 ? '0' : (signedIn / stats.users).toFixed(1).replace(/\.0$/, '')
  return [
    `sessions             ${stats.sessions}`,
    `signed-in users      ${stats.users}`,
    `sessions per user    ${mean} on average, ${stats.maxPerUser} at most`,
    `anonymous sessions   ${stats.anonymous}`,
    `expiring within 1 h  ${stats.expiring}`,
  ]
}

/** Runs `sessions <action> ...` against an opened store and returns the lines to print. */
export async function sessionsCommand(
  action: string | undefined,
  args: readonly string[],
  store: OpenedStore['store'],
): Promise<string[]> {
  if (action === 'list') {
    const [userId] = args
    if (!userId) throw new UsageError('sessions list needs a user id')
    return formatSessions(await store.listByUser(userId))
  }
  if (action === 'revoke') {
    const [userId, id] = args
    if (!userId)
      throw new UsageError('sessions revoke needs a user id (and optionally one session id)')
    const revoked = await store.revoke(userId, id === undefined ? {} : { ids: [id] })
    // A named session that is not there (a typo, another user's, already ended) is a failure, never "revoked 0".
    if (id !== undefined && revoked.length === 0)
      throw new Error(
        `no live session ${id} of user ${userId}: nothing revoked (hallpass sessions list ${userId} shows their ids)`,
      )
    return [`revoked ${revoked.length} session${revoked.length === 1 ? '' : 's'}`]
  }
  if (action === 'stats') {
    if (args.length > 0)
      throw new UsageError(`sessions stats takes no arguments (got "${args.join(' ')}")`)
    if (!store.stats) return ['this store cannot count its sessions (it has no stats())']
    return formatStats(await store.stats(HOUR))
  }
  if (action === 'purge') {
    if (!store.purge)
      return ['nothing to purge: this store expires sessions by itself (Redis TTLs)']
    const removed = await store.purge()
    return [`purged ${removed} expired session${removed === 1 ? '' : 's'}`]
  }
  throw new UsageError(
    `unknown sessions action "${action ?? ''}": use list, revoke, stats or purge`,
  )
}
