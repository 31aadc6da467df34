// "OpenTelemetry on" scenarios: hallpass/node with hallpass/opentelemetry and the real SDK, whose spans and metrics go nowhere.
import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import type { SessionTelemetry } from 'hallpass'
import { openTelemetry } from 'hallpass/opentelemetry'
import type { ScenarioFactory } from './common.ts'
import { hallpassNodeOn, hallpassServer } from './node.ts'

/** An exporter that answers success and keeps nothing, as a network exporter would once the batch is sent. */
class DroppingExporter extends InMemorySpanExporter implements SpanExporter {
  override export(_spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    super.export([], done)
  }
}

/**
 * What a production set-up registers: AsyncLocalStorage context (as `NodeSDK` does), every span sampled and batched
 * (BatchSpanProcessor's defaults) to an exporter that drops them, and a MeterProvider read every 60 s (the default).
 * No HTTP instrumentation: the cost measured is hallpass's own spans and metrics.
 */
function startTelemetry(): SessionTelemetry {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DroppingExporter())] }),
  )
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  metrics.setGlobalMeterProvider(
    new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter })] }),
  )
  return openTelemetry()
}

/** hallpass/node on the memory store with telemetry on (twin: `hallpassNodeMemory`). */
export const hallpassNodeMemoryOtel: ScenarioFactory = () =>
  hallpassServer(undefined, undefined, startTelemetry())

/** hallpass/node on Redis (node-redis 5) with telemetry on (twin: `hallpassNodeRedis`). */
export const hallpassNodeRedisOtel: ScenarioFactory = (redisUrl) =>
  hallpassNodeOn('node-redis 5', redisUrl, startTelemetry())
