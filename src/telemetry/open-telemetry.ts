/**
 * Finds the `Meter` and `Tracer` execution telemetry records into: the host's own, or the global
 * ones of `@opentelemetry/api` (an optional peer, imported on first use only when the host asks for
 * it). Without the package installed the answer is "none", with one warning: telemetry then feeds
 * the `onExecution` hook alone, and nothing breaks.
 *
 * @module
 */
import { isBtreePluginsError } from '../errors.js';
import { importOptional } from '../platform/optional-import.js';
import type { MeterLike, TracerLike } from './otel-types.js';

/** The instrumentation scope name the meter and tracer are created under. */
export const INSTRUMENTATION_SCOPE = '@wayfarer-ai/btree-plugins';

/** The part of the `@opentelemetry/api` module used here. */
interface OpenTelemetryApi {
  metrics: { getMeter(name: string, version?: string): MeterLike };
  trace: { getTracer(name: string, version?: string): TracerLike };
}

/** Where the meter and tracer come from. */
export interface OpenTelemetrySource {
  /** Record metrics into this meter. */
  meter?: MeterLike | undefined;
  /** Start spans with this tracer. */
  tracer?: TracerLike | undefined;
  /** Take the meter and tracer not given from `@opentelemetry/api`'s global providers. */
  global?: boolean | undefined;
}

/**
 * Resolves the meter and tracer. `load` imports the API (tests pass a loader where the package
 * cannot be found). A missing package resolves to no meter and no tracer and calls `onMissing`.
 */
export async function resolveOpenTelemetry(
  source: OpenTelemetrySource,
  onMissing: (message: string) => void,
  load: () => Promise<OpenTelemetryApi> = () => importOptional<OpenTelemetryApi>('@opentelemetry/api', 'telemetry.openTelemetry'),
): Promise<{ meter: MeterLike | undefined; tracer: TracerLike | undefined }> {
  let { meter, tracer } = source;
  if (source.global && (!meter || !tracer)) {
    try {
      const api = await load();
      meter ??= api.metrics.getMeter(INSTRUMENTATION_SCOPE);
      tracer ??= api.trace.getTracer(INSTRUMENTATION_SCOPE);
    } catch (error) {
      if (!isBtreePluginsError(error, 'MissingDependencyError')) throw error;
      onMissing(`${(error as Error).message}; OpenTelemetry metrics and spans are off (the onExecution hook still runs)`);
    }
  }
  return { meter, tracer };
}
