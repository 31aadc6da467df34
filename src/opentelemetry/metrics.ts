// The counters, fed by hallpass's typed events (src/core/events.ts), and the store-latency histogram.
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api'
import type { SessionEvent } from '../core/events.ts'
import { ATTR, METRIC, STORE_DURATION_BUCKETS } from './names.ts'

interface Built {
  readonly created: Counter
  readonly ended: Counter
  readonly endFailed: Counter
  readonly rejected: Counter
  readonly csrfRejected: Counter
  readonly lockouts: Counter
  readonly storeDuration: Histogram
}

type CounterName = Exclude<keyof Built, 'storeDuration'>

/** What one event records: the counter it adds one to (if any) and the attributes, each from a short fixed list. */
export interface Measured {
  readonly counter: CounterName | undefined
  readonly attributes: Attributes
}

function build(meter: Meter): Built {
  const counter = (name: string, description: string, unit: string): Counter =>
    meter.createCounter(name, { description, unit })
  return {
    created: counter(
      METRIC.created,
      'Sessions created: a first write without sign-in (anonymous) or a sign-in (login)',
      '{session}',
    ),
    ended: counter(
      METRIC.ended,
      'Sessions ended: logout, destroy, idle, absolute, revoke or evicted',
      '{session}',
    ),
    endFailed: counter(
      METRIC.endFailed,
      'logout() or destroy() that could not reach the store (the cookie was cleared; the record lives until its idle timeout)',
      '{session}',
    ),
    rejected: counter(
      METRIC.rejected,
      'Cookies that did not yield a session, by reason',
      '{request}',
    ),
    csrfRejected: counter(METRIC.csrfRejected, 'Requests refused by the CSRF check', '{request}'),
    lockouts: counter(
      METRIC.lockouts,
      'Login attempts refused by the throttle (locked or backing off), and locks begun',
      '{attempt}',
    ),
    storeDuration: meter.createHistogram(METRIC.storeDuration, {
      description: 'Duration of each session store call',
      unit: 's',
      advice: { explicitBucketBoundaries: STORE_DURATION_BUCKETS },
    }),
  }
}

/** The counter and attributes of one event. Ids, users, IPs, paths and methods are left out on purpose. */
export function measure(event: SessionEvent): Measured {
  switch (event.type) {
    case 'session.created':
      return {
        counter: 'created',
        attributes: { [ATTR.kind]: event.userId === null ? 'anonymous' : 'login' },
      }
    case 'session.regenerated':
      return event.reason === 'login'
        ? { counter: 'created', attributes: { [ATTR.kind]: 'login' } }
        : { counter: undefined, attributes: {} }
    case 'session.destroyed':
    case 'session.expired':
      return { counter: 'ended', attributes: { [ATTR.endReason]: event.reason } }
    case 'session.revoked':
      // `*`: a sealed-cookie revoke-all, whose count nobody knows; it is a span event but not a count.
      return {
        counter: event.id === '*' ? undefined : 'ended',
        attributes: { [ATTR.endReason]: event.reason },
      }
    case 'session.end_failed':
      return { counter: 'endFailed', attributes: { [ATTR.endReason]: event.reason } }
    case 'session.rejected':
      return { counter: 'rejected', attributes: { [ATTR.rejectReason]: event.reason } }
    case 'csrf.rejected':
      return { counter: 'csrfRejected', attributes: { [ATTR.csrfReason]: event.reason } }
    case 'login.locked':
      return { counter: 'lockouts', attributes: { [ATTR.throttleScope]: event.scope } }
    case 'dbsc.rejected':
      return { counter: undefined, attributes: { [ATTR.dbscReason]: event.reason } }
    default:
      return { counter: undefined, attributes: {} }
  }
}

/**
 * hallpass's instruments, created on first use rather than at `openTelemetry()`: OpenTelemetry's global meter
 * provider is not a proxy, so a manager built before the SDK started still reports once a request comes.
 */
export class Instruments {
  private built: Built | undefined = undefined

  constructor(private readonly meter: () => Meter) {}

  private get instruments(): Built {
    return (this.built ??= build(this.meter()))
  }

  /** Adds one to the event's counter, if it has one; returns the attributes (for the span event). */
  count(event: SessionEvent): Attributes {
    const { counter, attributes } = measure(event)
    if (counter) this.instruments[counter].add(1, attributes)
    return attributes
  }

  /** Records one store call's duration in seconds. */
  storeCall(seconds: number, attributes: Attributes): void {
    this.instruments.storeDuration.record(seconds, attributes)
  }
}
