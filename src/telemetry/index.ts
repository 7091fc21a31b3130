/**
 * Execution telemetry: the `onExecution` event, the OpenTelemetry metrics and spans, and their
 * names. See docs/operations.md.
 *
 * @module
 */
export { resultOfError, resultOfScript, resultOfTick, type ExecutionEvent, type ExecutionHook, type ExecutionKind, type ExecutionResult, type ExecutionStatus } from './execution-event.js';
export { ExecutionTelemetry, type ExecutionTelemetryOptions, type TelemetryOptions } from './execution-telemetry.js';
export { ATTRIBUTES, METRICS, OVERFLOW_LABEL, type CardinalityOptions, type PoolStatsLike } from './instruments.js';
export { INSTRUMENTATION_SCOPE } from './open-telemetry.js';
export type { MeterLike, SpanLike, TracerLike } from './otel-types.js';
