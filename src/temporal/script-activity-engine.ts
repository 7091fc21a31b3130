/**
 * The interpreter engine of the workflow side: an {@link InterpreterEngine} whose `run` is the
 * script activity. The interpreter node class of `binding-core/` runs unchanged in the workflow
 * (props, input collection, result checks, error messages); only the script runs in the worker.
 *
 * @module
 */
import { isCancellation } from '@temporalio/workflow';
import type { InterpreterEngine, InterpreterLanguage, ScriptOutcome, ScriptRequest } from '../binding-core/interpreter-types.js';
import { DEFAULT_TICK_OPTIONS, durationMs, mergeActivityOptions, proxyTickActivities, type ActivityMode, type TickActivityOptions } from './activity-options.js';
import { ACTIVITY_NAMES } from './types.js';

/**
 * The script activity as an engine, scheduled as a local or normal activity (`mode`; `scriptOptions`
 * already checked for it). `onCancel` hears a workflow cancellation the call ran into.
 */
export function scriptActivityEngine(
  tenantId: string,
  language: InterpreterLanguage,
  mode: ActivityMode,
  scriptOptions: TickActivityOptions | undefined,
  onCancel: (error: unknown) => void,
): InterpreterEngine {
  const activityName = language === 'python' ? ACTIVITY_NAMES.runPython : ACTIVITY_NAMES.runJavaScript;
  const base = mergeActivityOptions<TickActivityOptions>(DEFAULT_TICK_OPTIONS, scriptOptions);
  const configured = durationMs(base.startToCloseTimeout);
  return {
    language,
    async run(request: ScriptRequest): Promise<ScriptOutcome> {
      // The activity must outlive the script's own deadline, whatever the host configured.
      const floor = request.timeoutMs + 30_000;
      const options = configured !== undefined && configured >= floor ? base : { ...base, startToCloseTimeout: floor };
      const activities = proxyTickActivities(mode, options);
      const { signal: _signal, tenantId: _tenant, ...copyable } = request;
      try {
        return await activities[activityName]({ tenantId, request: copyable });
      } catch (error) {
        if (isCancellation(error)) onCancel(error);
        const outcome = limitOutcome(error);
        if (outcome) return outcome;
        throw error;
      }
    },
    async dispose() {},
  };
}

/** The script outcome a non-retryable limit failure carries in its details, if any. */
function limitOutcome(error: unknown): ScriptOutcome | undefined {
  let e: unknown = error;
  while (e instanceof Error && e.name === 'ActivityFailure' && e.cause instanceof Error) e = e.cause;
  const details = (e as { details?: unknown[] } | undefined)?.details;
  const first = Array.isArray(details) ? (details[0] as ScriptOutcome | undefined) : undefined;
  return first && typeof first === 'object' && 'ok' in first && first.ok === false ? first : undefined;
}
