/**
 * Reports the runs the execution limits refuse. A refused run never reaches the runner or the
 * engine that {@link ExecutionTelemetry} wraps (the limits are checked first, in the tick paths and
 * the Temporal activities), so the one place that sees every refusal is `ExecutionLimits.admit`:
 * this wraps that method of the host's own instance, and reports each `RateLimitedError` it throws
 * or rejects with before passing it on unchanged.
 *
 * @module
 */
import { INTERPRETER_NODES } from '../binding-core/interpreter-props.js';
import type { InterpreterLanguage } from '../binding-core/interpreter-types.js';
import type { ExecutionLimits } from '../rate-limits/execution-limits.js';
import type { ExecutionTelemetry } from './execution-telemetry.js';

/** Makes `limits` report every refusal to `telemetry` (status `rate-limited`, the limit as error code). */
export function reportRefusals(limits: ExecutionLimits, telemetry: ExecutionTelemetry): void {
  const admit = limits.admit.bind(limits);
  const refused = (tenantId: string, kind: string, name: string, error: unknown): void => {
    if ((error as { name?: unknown } | null)?.name !== 'RateLimitedError') return;
    if (kind === 'interpreter') {
      const language = name as InterpreterLanguage;
      telemetry.refused(language, tenantId, INTERPRETER_NODES[language]?.type ?? name, undefined, error);
    } else telemetry.refused('custom-node', tenantId, name, undefined, error);
  };
  limits.admit = (tenantId, kind, name, signal) => {
    let admitted: ReturnType<typeof admit>;
    try {
      admitted = admit(tenantId, kind, name, signal);
    } catch (error) {
      refused(tenantId, kind, name, error);
      throw error;
    }
    if (!(admitted instanceof Promise)) return admitted;
    return admitted.catch((error: unknown) => {
      refused(tenantId, kind, name, error);
      throw error;
    });
  };
}
