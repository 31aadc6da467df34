// The real OpenTelemetry SDK for the telemetry tests: spans kept in memory, metrics collected on demand, AsyncLocalStorage context.
import { context, metrics, trace, type Attributes, type AttributeValue } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics'

/** A reader that exports nothing by itself: the test calls `collect()` when it wants the numbers (no timer). */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One metric data point, flattened: the metric's name, its attributes and its value (a number, or a histogram's count). */
export interface Point {
  readonly scope: string
  readonly name: string
  readonly unit: string
  readonly attributes: Attributes
  readonly value: number
  /** The histogram's sum (seconds, for hallpass.store.duration). */
  readonly sum?: number
}

export interface TestSdk {
  readonly tracerProvider: BasicTracerProvider
  readonly meterProvider: MeterProvider
  /** Spans finished so far, in the order they ended. */
  spans(): ReadableSpan[]
  /** Every data point recorded so far (cumulative). */
  points(): Promise<Point[]>
  /** Unregisters the global providers and the context manager (other test files share the process). */
  shutdown(): Promise<void>
}

/**
 * Starts the SDK the way an application does: an AsyncLocalStorage context manager (what `NodeSDK` registers), a
 * tracer provider with a SimpleSpanProcessor into an InMemorySpanExporter, and a MeterProvider with a reader. With
 * `global`, both providers are registered as the global ones (frameworks' instrumentations find them there).
 */
export function startSdk(global = true): TestSdk {
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const reader = new CollectingReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  if (global) {
    trace.setGlobalTracerProvider(tracerProvider)
    metrics.setGlobalMeterProvider(meterProvider)
  }
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    points: async () => {
      const { resourceMetrics } = await reader.collect()
      return resourceMetrics.scopeMetrics.flatMap(({ scope, metrics: data }) =>
        data.flatMap((metric) => flatten(scope.name, metric)),
      )
    },
    shutdown: async () => {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()])
      trace.disable()
      metrics.disable()
      context.disable()
    },
  }
}

function flatten(scope: string, metric: MetricData): Point[] {
  const { name, unit } = metric.descriptor
  return metric.dataPoints.map((point) => {
    const value = point.value as number | { count: number; sum?: number }
    return typeof value === 'number'
      ? { scope, name, unit, attributes: point.attributes, value }
      : {
          scope,
          name,
          unit,
          attributes: point.attributes,
          value: value.count,
          ...(value.sum !== undefined && { sum: value.sum }),
        }
  })
}

/** The sum of the values of `name`'s points whose attributes include `match`. */
export function total(points: Point[], name: string, match: Attributes = {}): number {
  return points
    .filter(
      (p) =>
        p.name === name &&
        Object.entries(match).every(([key, value]) => p.attributes[key] === value),
    )
    .reduce((sum, p) => sum + p.value, 0)
}

/** The spans hallpass made (its instrumentation scope). */
export function hallpassSpans(spans: ReadableSpan[]): ReadableSpan[] {
  return spans.filter((span) => span.instrumentationScope.name === 'hallpass')
}

/** The one span named `name` (fails when there are none or several). */
export function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name)
  if (found.length !== 1)
    throw new Error(
      `expected one ${name} span, found ${found.length}: ${spans.map((s) => s.name).join(', ')}`,
    )
  return found[0] as ReadableSpan
}

/** The span's parent span id, or undefined for a root span. */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId
}

/**
 * Every value hallpass exported, as text: its spans (names, attributes, events, status), the events it added to other
 * spans, and its metrics' attributes. The privacy assertions search this for tokens, user ids, IPs and user agents.
 */
export function exportedText(spans: ReadableSpan[], points: Point[]): string {
  const values: Array<AttributeValue | string | undefined> = []
  const attributes = (a: Attributes | undefined): void => {
    for (const [key, value] of Object.entries(a ?? {})) values.push(key, value)
  }
  for (const span of spans) {
    const ours = span.instrumentationScope.name === 'hallpass'
    if (ours) {
      values.push(span.name, span.status.message)
      attributes(span.attributes)
    }
    for (const event of span.events) {
      if (!ours && !event.name.startsWith('hallpass.')) continue
      values.push(event.name)
      attributes(event.attributes)
    }
  }
  for (const point of points.filter((p) => p.scope === 'hallpass')) {
    values.push(point.name, point.unit)
    attributes(point.attributes)
  }
  return JSON.stringify(values)
}
