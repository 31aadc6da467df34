// Every span, metric and attribute name hallpass/opentelemetry records, in one place (docs/telemetry.md lists them).

/** The instrumentation scope of hallpass's tracer and meter. */
export const SCOPE_NAME = 'hallpass'
/** hallpass's version, reported as the instrumentation scope version (a test keeps it equal to package.json's). */
export const SCOPE_VERSION = '0.1.0'

/** Span names. */
export const SPAN = {
  /** A front door's `sessions.load()`: cookie, MAC, store read, checks. */
  load: 'hallpass.session.load',
  /** A front door's `session.commit()` when it writes (a change, a touch, a new session). */
  commit: 'hallpass.session.commit',
} as const

/** The store calls that are traced and timed; each span is `hallpass.store.<operation>`. */
export const STORE_OPERATIONS = [
  'get',
  'create',
  'patch',
  'destroy',
  'listByUser',
  'revoke',
  'ping',
  'stats',
] as const
export type StoreOperation = (typeof STORE_OPERATIONS)[number]

/** Metric names. */
export const METRIC = {
  created: 'hallpass.sessions.created',
  ended: 'hallpass.sessions.ended',
  endFailed: 'hallpass.sessions.end_failed',
  rejected: 'hallpass.sessions.rejected',
  csrfRejected: 'hallpass.csrf.rejections',
  lockouts: 'hallpass.throttle.lockouts',
  storeDuration: 'hallpass.store.duration',
} as const

/** Attribute names. Every value is from a short fixed list, except the opt-in session id. */
export const ATTR = {
  /** `anonymous` (a first write without sign-in) or `login`. */
  kind: 'hallpass.session.kind',
  endReason: 'hallpass.session.end_reason',
  rejectReason: 'hallpass.session.reject_reason',
  csrfReason: 'hallpass.csrf.reason',
  throttleScope: 'hallpass.throttle.scope',
  /** DBSC refusals (span events only). */
  dbscReason: 'hallpass.dbsc.reason',
  authenticated: 'hallpass.session.authenticated',
  /** True when the request arrived without a live session (`session.isNew`). */
  isNew: 'hallpass.session.new',
  /** The public session id (a hash, never the token): only with `recordSessionIds: true`, only on the two request spans. */
  sessionId: 'hallpass.session.id',
  operation: 'hallpass.store.operation',
  storeKind: 'hallpass.store.kind',
  outcome: 'hallpass.store.outcome',
  /** get: found/missing/corrupt; patch: ok/missing/conflict; destroy: deleted/missing. */
  result: 'hallpass.store.result',
  /** Sessions a create evicted, a revoke ended, or a listByUser returned. */
  count: 'hallpass.store.count',
  /** The standard attribute: a HallpassError code, else the error's class name. */
  errorType: 'error.type',
} as const

/** Histogram buckets for store latency, in seconds: 0.5 ms to 10 s. */
export const STORE_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]
