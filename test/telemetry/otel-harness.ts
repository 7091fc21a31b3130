/**
 * The real OpenTelemetry SDK with in-memory exporters, for the telemetry suites: a meter provider
 * whose metrics are read on demand and a tracer provider that keeps every ended span.
 */
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface OtelHarness {
  meterProvider: MeterProvider;
  tracerProvider: BasicTracerProvider;
  /** Every metric collected now (cumulative), by name. */
  metrics(): Promise<Map<string, MetricData>>;
  /** Every span ended so far. */
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

export function otelHarness(): OtelHarness {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  return {
    meterProvider,
    tracerProvider,
    async metrics() {
      exporter.reset();
      await reader.forceFlush();
      const out = new Map<string, MetricData>();
      for (const rm of exporter.getMetrics()) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) out.set(m.descriptor.name, m);
      return out;
    },
    spans: () => spanExporter.getFinishedSpans(),
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** The data points of `metric` whose attributes include `match`. */
export function pointsOf(metric: MetricData | undefined, match: Record<string, string | number> = {}): Array<DataPoint<unknown>> {
  if (!metric) return [];
  return (metric.dataPoints as Array<DataPoint<unknown>>).filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}
