/**
 * Reports the runs the execution limits refuse. A refused run never reaches the runner or the
 * engine that {@link ExecutionTelemetry} wraps (the limits are checked first, in the tick paths and
 * the Temporal activities), so the limits tell of each refusal themselves
 * (`ExecutionLimits`' `onRefused` option), and this turns it into a `rate-limited` report.
 *
 * @module
 */
import type { RateLimitedError } from '../errors.js';
import type { RunKind } from '../rate-limits/execution-limits.js';
import type { InterpreterLanguage } from '../binding-core/interpreter-types.js';
import type { ExecutionTelemetry } from './execution-telemetry.js';

/** The `onRefused` listener that reports each refusal to `telemetry` (status `rate-limited`, the limit as error code). */
export function refusalReporter(telemetry: ExecutionTelemetry): (refusal: RateLimitedError, kind: RunKind, name: string) => void {
  // The refusal names the node as a tree does (`PythonInterpreter` for a Python script).
  return (refusal, kind, name) => telemetry.refused(kind === 'interpreter' ? (name as InterpreterLanguage) : 'custom-node', refusal.tenantId, refusal.node, undefined, refusal);
}
