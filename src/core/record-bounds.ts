// The bounds a loaded record must meet: the same ones the write path enforces. A record that breaks one is corrupt.
import { versionOf } from '../stores/record-version.ts'
import type { SessionRecord } from '../stores/types.ts'
import { MAX_USER_AGENT_LENGTH } from '../stores/user-agent-codec.ts'
import { isPlainObject, jsonBytesBound, jsonProblem, keyProblem } from '../json.ts'
import { isUserId } from './login-options.ts'
import { isGrantablePermission, isPrivilegeList, isValidRole } from './privileges.ts'

/** Latest time a record may hold (the largest valid Date, epoch ms). */
const MAX_TIME = 8.64e15
export { MAX_USER_AGENT_LENGTH }
const MAX_ID_LENGTH = 64

/**
 * Why a record read from a store, a sealed cookie or a cache snapshot is not one hallpass could have
 * written (wrong types, times or version out of range, data that is not plain JSON, nested more than
 * 64 levels or over `maxDataBytes`), or undefined when it is within bounds. Never throws.
 */
export function recordProblem(record: unknown, maxDataBytes: number): string | undefined {
  if (!isPlainObject(record)) return 'not an object'
  const r = record
  if (typeof r['id'] !== 'string' || r['id'].length === 0 || r['id'].length > MAX_ID_LENGTH)
    return 'id'
  const userId = r['userId']
  if (userId !== null && !isUserId(userId)) return 'userId'
  for (const field of ['createdAt', 'lastSeenAt', 'expiresAt'] as const)
    if (!isTime(r[field])) return field
  if (r['issuedAt'] !== undefined && !isTime(r['issuedAt'])) return 'issuedAt'
  const version = r['version']
  if (
    !Number.isSafeInteger(version) ||
    (version as number) < 0 ||
    (version as number) >= Number.MAX_SAFE_INTEGER
  )
    return 'version'
  if (typeof r['persistent'] !== 'boolean') return 'persistent'
  const dataVersion = r['dataVersion']
  if (
    dataVersion !== undefined &&
    (!Number.isSafeInteger(dataVersion) || (dataVersion as number) < 1)
  )
    return 'dataVersion'
  if (!isPrivilegeList(r['roles'], isValidRole)) return 'roles'
  if (!isPrivilegeList(r['permissions'], isGrantablePermission)) return 'permissions'
  const pending = (
    r['device'] as { pending?: { roles?: unknown; permissions?: unknown } } | undefined
  )?.pending
  if (
    pending &&
    (!isPrivilegeList(pending.roles, isValidRole) ||
      !isPrivilegeList(pending.permissions, isGrantablePermission))
  )
    return 'device'
  if (r['ip'] !== undefined && typeof r['ip'] !== 'string') return 'ip'
  if (
    r['userAgent'] !== undefined &&
    (typeof r['userAgent'] !== 'string' || r['userAgent'].length > MAX_USER_AGENT_LENGTH)
  )
    return 'userAgent'
  return dataProblem(r['data'], maxDataBytes)
}

/**
 * `recordProblem` for one manager, checked once per stored version where the store marks versions (the memory store,
 * `markVersion`): a version that passed is not checked again. Records from other stores, the cookie cache and sealed
 * cookies are checked on every load.
 */
export class RecordBounds {
  /** Stored versions whose records passed (held weakly: a version the store dropped is forgotten). */
  private readonly passed = new WeakSet<object>()

  constructor(private readonly maxDataBytes: number) {}

  /** Why `record` is out of bounds, or undefined (see `recordProblem`). */
  problem(record: SessionRecord): string | undefined {
    const version = versionOf(record)
    if (version !== undefined && this.passed.has(version)) return undefined
    const problem = recordProblem(record, this.maxDataBytes)
    if (problem === undefined && version !== undefined) this.passed.add(version)
    return problem
  }
}

function dataProblem(data: unknown, maxDataBytes: number): string | undefined {
  if (!isPlainObject(data)) return 'data'
  // The usual case in one pass: plain JSON whose size bound is already within the limit. Otherwise the full check.
  const bound = jsonBytesBound(data, -1)
  if (bound >= 0 && bound <= maxDataBytes) return undefined
  for (const key of Object.keys(data)) {
    if (keyProblem(key) !== undefined) return `data.${key}`
    const problem = jsonProblem(data[key], key)
    if (problem !== undefined) return `data: ${problem}`
  }
  // Plain JSON within the depth bound: stringify cannot throw here.
  return Buffer.byteLength(JSON.stringify(data)) > maxDataBytes
    ? 'data over maxDataBytes'
    : undefined
}

function isTime(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value <= MAX_TIME
}
