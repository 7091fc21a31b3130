/**
 * Activity options of the workflow's proxy nodes: the defaults, how a host's overrides merge over
 * them, and reading a Temporal duration. Pure: part of the workflow entry.
 *
 * @module
 */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from './types.js';

/** Defaults of the tick and script activities (docs/temporal.md). */
export const DEFAULT_TICK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
};

/** Defaults of the resolve and usage activities. */
export const DEFAULT_RESOLVE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
};

/** A host's options over the defaults; `retry` merges field by field. */
export function mergeActivityOptions(defaults: ActivityOptions, override: ActivityOptions | undefined): ActivityOptions {
  if (!override) return defaults;
  return { ...defaults, ...override, retry: { ...defaults.retry, ...override.retry } };
}

const UNIT_MS: Record<string, number> = {
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: 1_000, sec: 1_000, secs: 1_000, second: 1_000, seconds: 1_000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** Milliseconds of a Temporal duration (`5000`, `'30s'`, `'1 minute'`), or `undefined` if unreadable. */
export function durationMs(duration: ActivityOptions['startToCloseTimeout']): number | undefined {
  if (typeof duration === 'number') return duration;
  if (typeof duration !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(duration);
  const unit = m ? UNIT_MS[(m[2] || 'ms').toLowerCase()] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}

/** A message for `lastError` from whatever an activity call threw (the real reason, not "Activity task failed"). */
export function activityFailureMessage(error: unknown): string {
  let e: unknown = error;
  // ActivityFailure wraps the real reason (ApplicationFailure, TimeoutFailure, …) in `cause`.
  while (e instanceof Error && e.cause instanceof Error && e.name === 'ActivityFailure') e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
